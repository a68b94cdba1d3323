/*
 * A second, independent implementation of CortexBot's wire: a plain C program on Cyclone DDS using only the C types
 * idlc generates from ROS 2's message definitions (in ROS 2's module layout) and ROS 2's topic names. It plays a robot:
 * subscribes rt/<controller>/joint_trajectory (sensor_msgs-style RELIABLE/VOLATILE/KEEP_LAST 1, as ros2_controllers),
 * and publishes rt/joint_states (RELIABLE/VOLATILE/KEEP_LAST 10) whose arm positions echo the last trajectory point.
 *
 *   ros2_peer DOMAIN SECONDS [CONTROLLER]
 * Prints one line at exit: "trajectories N bad M last p0 p1 ... p5 tfs_ns T".
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
