/*
 * A second, independent implementation of CortexBot's wire: a plain C program on Cyclone DDS using only the C types
 * idlc generates from ROS 2's message definitions (in ROS 2's module layout) and ROS 2's topic names. It plays a robot:
 * subscribes rt/<controller>/joint_trajectory (sensor_msgs-style RELIABLE/VOLATILE/KEEP_LAST 1, as ros2_controllers),
 * and publishes rt/joint_states (RELIABLE/VOLATILE/KEEP_LAST 10) whose arm positions echo the last trajectory point.
 *
 *   ros2_peer DOMAIN SECONDS [CONTROLLER]
 * Prints one line at exit: "trajectories N bad M last p0 p1 ... p5 tfs_ns T".
 *
 *   ros2_peer DOMAIN SECONDS CONTROLLER listen
 * Plays a ROS 2 tool watching a robot instead: subscribes rt/camera/image_raw (sensor data QoS: BEST_EFFORT, KEEP_LAST 5)
 * and rt/<controller>/controller_state (control_msgs/JointTrajectoryControllerState) until it has 3 images and 20
 * states or SECONDS pass, and prints two lines at exit:
 *   "image count N width W height H encoding E step S bigendian B bytes L hash X"
 *   "state count N joints a,b,.. lengths P maxerr E maxabserr A desired_ok D actual_ok A multidof_empty M ref r0..r5 fb f0..f5"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dds/dds.h"
#include "ros2_types.h"

static const char *ARM[6] = { "shoulder_pan", "shoulder_lift", "elbow", "wrist_roll1", "wrist_pitch", "wrist_roll2" };
static const char *CONFIG =
  "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"lo\"/></Interfaces>"
  "<AllowMulticast>false</AllowMulticast></General><Discovery><ParticipantIndex>auto</ParticipantIndex>"
  "<MaxAutoParticipantIndex>20</MaxAutoParticipantIndex><Peers><Peer address=\"127.0.0.1\"/></Peers></Discovery></Domain></CycloneDDS>";

/* Position-weighted byte sum: a flipped or shifted image hashes differently (the test computes the same in C#). */
static unsigned long long image_hash (const uint8_t *d, uint32_t n)
{
  unsigned long long h = 0;
  for (uint32_t i = 0; i < n; i++) h += (unsigned long long) d[i] * (i % 251 + 1);
  return h;
}

static int listen_mode (dds_entity_t pp, const char *controller, double seconds)
{
  char topic[256];
  snprintf (topic, sizeof topic, "rt/%s/controller_state", controller);
  dds_qos_t *iq = dds_create_qos ();
  dds_qset_reliability (iq, DDS_RELIABILITY_BEST_EFFORT, 0);
  dds_qset_history (iq, DDS_HISTORY_KEEP_LAST, 5);
  dds_entity_t im_topic = dds_create_topic (pp, &sensor_msgs_msg_dds__Image__desc, "rt/camera/image_raw", NULL, NULL);
  dds_entity_t im_reader = dds_create_reader (pp, im_topic, iq, NULL);
  dds_qos_t *sq = dds_create_qos ();
  dds_qset_reliability (sq, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  dds_qset_history (sq, DDS_HISTORY_KEEP_LAST, 1);
  dds_entity_t st_topic = dds_create_topic (pp, &control_msgs_msg_dds__JointTrajectoryControllerState__desc, topic, NULL, NULL);
  dds_entity_t st_reader = dds_create_reader (pp, st_topic, sq, NULL);
  if (im_reader < 0 || st_reader < 0) { fprintf (stderr, "readers failed\n"); return 1; }

  long images = 0, states = 0;
  uint32_t w = 0, h = 0, step = 0, bytes = 0; unsigned be = 0; unsigned long long hash = 0; char enc[32] = "";
  char joints[512] = ""; int lengths_ok = 0, desired_ok = 0, actual_ok = 0, mdof_empty = 0; double maxerr = -1, maxabs = 0, ref[6] = { 0 }, fb[6] = { 0 };
  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;) {
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    while (dds_take (im_reader, buf, &info, 1, 1) > 0) {
      sensor_msgs_msg_dds__Image_ *m = buf[0];
      if (info.valid_data) {
        images++;
        w = m->width; h = m->height; step = m->step; be = m->is_bigendian; bytes = m->data._length;
        snprintf (enc, sizeof enc, "%s", m->encoding ? m->encoding : "");
        hash = image_hash (m->data._buffer, m->data._length);
      }
      dds_return_loan (im_reader, buf, 1);
      buf[0] = NULL;
    }
    while (dds_take (st_reader, buf, &info, 1, 1) > 0) {
      control_msgs_msg_dds__JointTrajectoryControllerState_ *m = buf[0];
      if (info.valid_data) {
        states++;
        uint32_t n = m->joint_names._length;
        joints[0] = 0;
        for (uint32_t i = 0; i < n; i++) {
          strncat (joints, m->joint_names._buffer[i], sizeof joints - strlen (joints) - 2);
          if (i + 1 < n) strcat (joints, ",");
        }
        lengths_ok = m->reference.positions._length == n && m->feedback.positions._length == n && m->error.positions._length == n
          && m->output.positions._length == n && m->feedback.velocities._length == n;
        maxerr = 0; desired_ok = actual_ok = 1;
        for (uint32_t i = 0; lengths_ok && i < n; i++) {
          double e = m->error.positions._buffer[i] - (m->reference.positions._buffer[i] - m->feedback.positions._buffer[i]);
          if (e < 0) e = -e;
          if (e > maxerr) maxerr = e;
          double a = m->error.positions._buffer[i] < 0 ? -m->error.positions._buffer[i] : m->error.positions._buffer[i];
          if (a > maxabs) maxabs = a;
          if (m->desired.positions._length != n || m->desired.positions._buffer[i] != m->reference.positions._buffer[i]) desired_ok = 0;
          if (m->actual.positions._length != n || m->actual.positions._buffer[i] != m->feedback.positions._buffer[i]) actual_ok = 0;
          if (i < 6) { ref[i] = m->reference.positions._buffer[i]; fb[i] = m->feedback.positions._buffer[i]; }
        }
        const trajectory_msgs_msg_dds__MultiDOFJointTrajectoryPoint_ *md[6] = { &m->multi_dof_reference, &m->multi_dof_feedback,
          &m->multi_dof_error, &m->multi_dof_output, &m->multi_dof_desired, &m->multi_dof_actual };
        mdof_empty = m->multi_dof_joint_names._length == 0;
        for (int k = 0; k < 6; k++)
          if (md[k]->transforms._length || md[k]->velocities._length || md[k]->accelerations._length) mdof_empty = 0;
      }
      dds_return_loan (st_reader, buf, 1);
      buf[0] = NULL;
    }
    if (images >= 3 && states >= 20) break; /* enough seen: SECONDS is the limit */
    dds_sleepfor (DDS_MSECS (5));
    clock_gettime (CLOCK_MONOTONIC, &now);
    if ((double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9 > seconds) break;
  }
  printf ("image count %ld width %u height %u encoding %s step %u bigendian %u bytes %u hash %llu\n", images, w, h, enc[0] ? enc : "-", step, be, bytes, hash);
  printf ("state count %ld joints %s lengths %d maxerr %.17g maxabserr %.17g desired_ok %d actual_ok %d multidof_empty %d ref", states, joints[0] ? joints : "-",
          lengths_ok, maxerr, maxabs, desired_ok, actual_ok, mdof_empty);
  for (int i = 0; i < 6; i++) printf (" %.17g", ref[i]);
  printf (" fb");
  for (int i = 0; i < 6; i++) printf (" %.17g", fb[i]);
  printf ("\n");
  dds_delete_qos (iq);
  dds_delete_qos (sq);
  return 0;
}

int main (int argc, char **argv)
{
  if (argc < 3) { fprintf (stderr, "usage: ros2_peer DOMAIN SECONDS [CONTROLLER]\n"); return 2; }
  uint32_t domain = (uint32_t) atoi (argv[1]);
  double seconds = atof (argv[2]);
  const char *controller = argc > 3 ? argv[3] : "joint_trajectory_controller";
  char topic[256];
  snprintf (topic, sizeof topic, "rt/%s/joint_trajectory", controller);

  dds_entity_t d = dds_create_domain (domain, CONFIG);
  if (d < 0) { fprintf (stderr, "domain: %s\n", dds_strretcode (d)); return 1; }
  dds_qos_t *pq = dds_create_qos ();
  dds_qset_userdata (pq, "enclave=/;", strlen ("enclave=/;"));
  dds_entity_t pp = dds_create_participant (domain, pq, NULL);
  dds_delete_qos (pq);
  if (pp < 0) { fprintf (stderr, "participant: %s\n", dds_strretcode (pp)); return 1; }
  if (argc > 4 && strcmp (argv[4], "listen") == 0) {
    int rc = listen_mode (pp, controller, seconds);
    dds_delete (pp);
    dds_delete (d);
    return rc;
  }

  dds_qos_t *wq = dds_create_qos ();
  dds_qset_reliability (wq, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  dds_qset_durability (wq, DDS_DURABILITY_VOLATILE);
  dds_qset_history (wq, DDS_HISTORY_KEEP_LAST, 10);
  dds_entity_t js_topic = dds_create_topic (pp, &sensor_msgs_msg_dds__JointState__desc, "rt/joint_states", NULL, NULL);
  dds_entity_t js_writer = dds_create_writer (pp, js_topic, wq, NULL);
  dds_qos_t *rq = dds_create_qos ();
  dds_qset_reliability (rq, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  dds_qset_history (rq, DDS_HISTORY_KEEP_LAST, 1);
  dds_entity_t tr_topic = dds_create_topic (pp, &trajectory_msgs_msg_dds__JointTrajectory__desc, topic, NULL, NULL);
  dds_entity_t tr_reader = dds_create_reader (pp, tr_topic, rq, NULL);
  if (js_writer < 0 || tr_reader < 0) { fprintf (stderr, "endpoints failed\n"); return 1; }

  char *names[8] = { (char *) ARM[0], (char *) ARM[1], (char *) ARM[2], (char *) ARM[3], (char *) ARM[4], (char *) ARM[5],
                     "finger_left", "finger_right" };
  double pos[8] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.02, 0.02 }, vel[8] = { 0 };
  long trajectories = 0, bad = 0;
  int64_t last_tfs = -1;

  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;) {
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    while (dds_take (tr_reader, buf, &info, 1, 1) > 0) {
      trajectory_msgs_msg_dds__JointTrajectory_ *t = buf[0];
      if (info.valid_data) {
        int ok = t->points._length == 1 && t->joint_names._length == 6 && t->points._buffer[0].positions._length == 6;
        for (int i = 0; ok && i < 6; i++) {
          int k = -1;
          for (uint32_t j = 0; j < t->joint_names._length; j++) if (strcmp (t->joint_names._buffer[j], ARM[i]) == 0) k = (int) j;
          if (k < 0) ok = 0; else pos[i] = t->points._buffer[0].positions._buffer[k];
        }
        if (ok) {
          trajectories++;
          last_tfs = (int64_t) t->points._buffer[0].time_from_start.sec * 1000000000 + t->points._buffer[0].time_from_start.nanosec;
        } else bad++;
      }
      dds_return_loan (tr_reader, buf, 1);
      buf[0] = NULL;
    }
    clock_gettime (CLOCK_REALTIME, &now);
    sensor_msgs_msg_dds__JointState_ js;
    memset (&js, 0, sizeof js);
    js.header.stamp.sec = (int32_t) now.tv_sec;
    js.header.stamp.nanosec = (uint32_t) now.tv_nsec;
    js.header.frame_id = "";
    js.name._length = js.name._maximum = 8; js.name._buffer = names;
    js.position._length = js.position._maximum = 8; js.position._buffer = pos;
    js.velocity._length = js.velocity._maximum = 8; js.velocity._buffer = vel;
    dds_write (js_writer, &js);
    dds_sleepfor (DDS_MSECS (2));
    clock_gettime (CLOCK_MONOTONIC, &now);
    if ((double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9 > seconds) break;
  }
  printf ("trajectories %ld bad %ld last", trajectories, bad);
  for (int i = 0; i < 6; i++) printf (" %.17g", pos[i]);
  printf (" tfs_ns %lld\n", (long long) last_tfs);
  dds_delete (pp);
  dds_delete (d);
  return 0;
}
