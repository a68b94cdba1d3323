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
 *
 *   ros2_peer DOMAIN SECONDS CONTROLLER action
 * Plays a ROS 2 action client of rt/<controller>/follow_joint_trajectory (control_msgs/action/FollowJointTrajectory) as
 * rmw_cyclonedds lays it out: request/reply topics rq/..Request and rr/..Reply whose samples start with the
 * request header (uint64 client guid, int64 sequence number), endpoints paired by "clientid=..;" USER_DATA. It sends a
 * valid two-point goal (joint names reversed, goal tolerances), a goal naming an unknown joint, a goal with a NaN, a
 * long goal it cancels, and a long goal preempted by a short one; asks each result; prints one line of "key value"
 * pairs (see the end of action_mode) with the outcomes, feedback and status seen, and send_goal round trips.
 *
 *   ros2_peer DOMAIN SECONDS - graph NODE [NODE ..]
 * Plays `ros2 node list`: reads rmw_dds_common/ParticipantEntitiesInfo on ros_discovery_info (as rmw_cyclonedds: reliable,
 * transient local) and DDS's own discovery (DCPSParticipant, DCPSPublication, DCPSSubscription), until every NODE is
 * listed and its reader/writer GIDs are exactly the DDS GUIDs of its participant's endpoints (less the ros_discovery_info
 * writer) and nothing has changed for a second, or SECONDS pass. Prints one line per NODE:
 *   "node NAME ns NS found F enclave E writers W readers R unmatched U unlisted L infoqos REL DUR HIST DEPTH jsuserdata U topics t1,t2,.."
 * (unmatched: listed GIDs DDS does not know for that participant; unlisted: DDS endpoints of it the list lacks;
 * jsuserdata: the USER_DATA of its rt/joint_states writer, "-" when none).
 *
 *   ros2_peer DOMAIN SECONDS humble graph NODE [NODE ..]
 * The same with Humble's rmw_dds_common layout (Gid char[24]); each line adds "gidbytes 24 gidtailnonzero N" (GIDs whose
 * last 8 bytes are not zero, as rmw_cyclonedds leaves them).
 *
 *   ros2_peer DOMAIN SECONDS CONTROLLER listen-jazzy
 * Reads rt/<controller>/controller_state in control_msgs 5.x's layout (Jazzy: no desired/actual, speed_scaling_factor)
 * until 20 states or SECONDS; prints "state count N joints a,b,.. lengths P maxerr E multidof_empty M speed S".
 *
 *   ros2_peer DOMAIN SECONDS TOPIC detections
 * Plays a ROS 2 tool echoing vision_msgs/msg/Detection3DArray (vision_msgs 4.x) on rt/TOPIC (best effort, keep last 5)
 * until 5 frames or SECONDS, and prints the last frame:
 *   "frames N frame F stamp S count K" then per detection
 *   "detection hyps H class C score S pose px py pz qx qy qz qw cov c0 c7 c14 coff O bbox cx cy cz cqx cqy cqz cqw size sx sy sz id I dframe F dstamp T"
 * (cov: the covariance diagonal's position entries; coff: the sum of the absolute other entries).
 *
 *   ros2_peer DOMAIN SECONDS TOPIC publish-detections [now|zero|old|nan]
 * Plays a perception node: publishes one fixed Detection3DArray on rt/TOPIC (reliable, keep last 10) every 20 ms for
 * SECONDS, stamped now (default), zero, 2 s ago (old) or now with a NaN in a pose (nan). Prints "published N".
 *
 *   ros2_peer DOMAIN SECONDS TOPIC publish-gz-poses
 * Plays ros_gz_bridge on Gazebo's pose topics: every 20 ms for SECONDS publishes on rt/TOPIC (reliable, keep last 10) a
 * tf2_msgs/msg/TFMessage as it bridges a pose publisher's Pose_V (frame_id the world's name "cortexbot_tabletop",
 * child_frame_id "red_cube" at 0.4 -0.1 0.02 turned 0.5 rad about Z, stamped with simulated time: 12.5 s plus the time
 * elapsed), then one as it bridges the scene broadcaster's dynamic_pose/info (two transforms with empty frame ids and
 * zero stamps: the names are lost). Prints "published N".
 *
 *   ros2_peer DOMAIN SECONDS WORLD gz-control
 * Plays Gazebo behind ros_gz_bridge with its arm: publishes rt/joint_states (the 6 arm joints and both fingers) every
 * 2 ms and serves /world/WORLD/control (ros_gz_interfaces/srv/ControlWorld: rq/world/WORLD/controlRequest and
 * rr/world/WORLD/controlReply, rmw_cyclonedds' request header first, serviceid pairing), answering success = reset.all.
 * Prints each request decoded, "request guid G seq S pause P step T multi_step M reset A O D seed E run_to SEC NSEC"
 * (reset: all, time_only, model_only), and stops 0.5 s after the first or after SECONDS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dds/dds.h"
#include "ros2_types.h"

static const char *ARM[6] = { "shoulder_pan", "shoulder_lift", "elbow", "wrist_roll1", "wrist_pitch", "wrist_roll2" };
static const char *CONFIG =
  "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"lo\"/></Interfaces>"
  "<AllowMulticast>false</AllowMulticast></General><Discovery><ParticipantIndex>auto</ParticipantIndex>"
  "<MaxAutoParticipantIndex>20</MaxAutoParticipantIndex><Peers><Peer address=\"127.0.0.1\"/></Peers></Discovery></Domain></CycloneDDS>";

/* A type of another distribution's layout sits in a module named after it (humble::..., jazzy::...): ROS 2 knows it
 * under the name without that module, so the topic is created with a copy of the descriptor carrying that name. */
static const dds_topic_descriptor_t *ros_named (const dds_topic_descriptor_t *d)
{
  dds_topic_descriptor_t *c = malloc (sizeof *c);
  if (c == NULL) return d;
  memcpy (c, d, sizeof *c);
  c->m_typename = strstr (d->m_typename, "::") + 2;
  return c;
}

static const char *str_or_dash (const char *s) { return s && s[0] ? s : "-"; }

static int detections_mode (dds_entity_t pp, const char *topic_name, double seconds)
{
  char topic[256];
  snprintf (topic, sizeof topic, "rt/%s", topic_name[0] == '/' ? topic_name + 1 : topic_name);
  dds_qos_t *q = dds_create_qos ();
  dds_qset_reliability (q, DDS_RELIABILITY_BEST_EFFORT, 0);
  dds_qset_history (q, DDS_HISTORY_KEEP_LAST, 5);
  dds_entity_t t = dds_create_topic (pp, &vision_msgs_msg_dds__Detection3DArray__desc, topic, NULL, NULL);
  dds_entity_t rd = dds_create_reader (pp, t, q, NULL);
  dds_delete_qos (q);
  if (rd < 0) { fprintf (stderr, "reader failed: %s\n", dds_strretcode (rd)); return 1; }
  long frames = 0;
  vision_msgs_msg_dds__Detection3DArray_ *last = vision_msgs_msg_dds__Detection3DArray___alloc ();
  memset (last, 0, sizeof *last);
  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;) {
    void *one[1] = { NULL };
    dds_sample_info_t info;
    /* take into our own sample (not a loan), so the last frame stays readable after the loop */
    vision_msgs_msg_dds__Detection3DArray_ *m = vision_msgs_msg_dds__Detection3DArray___alloc ();
    memset (m, 0, sizeof *m);
    one[0] = m;
    if (dds_take (rd, one, &info, 1, 1) > 0 && info.valid_data) {
      frames++;
      vision_msgs_msg_dds__Detection3DArray__free (last, DDS_FREE_ALL);
      last = m;
    } else vision_msgs_msg_dds__Detection3DArray__free (m, DDS_FREE_ALL);
    if (frames >= 5) break;
    dds_sleepfor (DDS_MSECS (5));
    clock_gettime (CLOCK_MONOTONIC, &now);
    if ((double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9 > seconds) break;
  }
  printf ("frames %ld frame %s stamp %lld count %u\n", frames, str_or_dash (last->header.frame_id),
          (long long) last->header.stamp.sec * 1000000000 + last->header.stamp.nanosec, last->detections._length);
  for (uint32_t i = 0; i < last->detections._length; i++) {
    const vision_msgs_msg_dds__Detection3D_ *d = &last->detections._buffer[i];
    printf ("detection hyps %u", d->results._length);
    if (d->results._length > 0) {
      const vision_msgs_msg_dds__ObjectHypothesisWithPose_ *h = &d->results._buffer[0];
      const geometry_msgs_msg_dds__Pose_ *p = &h->pose.pose;
      double off = 0;
      for (int k = 0; k < 36; k++) if (k != 0 && k != 7 && k != 14) off += h->pose.covariance[k] < 0 ? -h->pose.covariance[k] : h->pose.covariance[k];
      printf (" class %s score %.17g pose %.17g %.17g %.17g %.17g %.17g %.17g %.17g cov %.17g %.17g %.17g coff %.17g",
              str_or_dash (h->hypothesis.class_id), h->hypothesis.score, p->position.x, p->position.y, p->position.z,
              p->orientation.x, p->orientation.y, p->orientation.z, p->orientation.w,
              h->pose.covariance[0], h->pose.covariance[7], h->pose.covariance[14], off);
    }
    const geometry_msgs_msg_dds__Pose_ *c = &d->bbox.center;
    printf (" bbox %.17g %.17g %.17g %.17g %.17g %.17g %.17g size %.17g %.17g %.17g id %s dframe %s dstamp %lld\n",
            c->position.x, c->position.y, c->position.z, c->orientation.x, c->orientation.y, c->orientation.z, c->orientation.w,
            d->bbox.size.x, d->bbox.size.y, d->bbox.size.z, str_or_dash (d->id), str_or_dash (d->header.frame_id),
            (long long) d->header.stamp.sec * 1000000000 + d->header.stamp.nanosec);
  }
  vision_msgs_msg_dds__Detection3DArray__free (last, DDS_FREE_ALL);
  fflush (stdout);
  return 0;
}

static void set_pose (geometry_msgs_msg_dds__Pose_ *p, double x, double y, double z, double qx, double qy, double qz, double qw)
{
  p->position.x = x; p->position.y = y; p->position.z = z;
  p->orientation.x = qx; p->orientation.y = qy; p->orientation.z = qz; p->orientation.w = qw;
}

/* The frame the receiver test expects (see Ros2DetectionReceiverTests): a detection whose best hypothesis is not the
 * first, one whose hypothesis leaves its pose unset (the box centre is the pose), and one with no hypothesis at all. */
static int publish_detections_mode (dds_entity_t pp, const char *topic_name, double seconds, const char *variant)
{
  char topic[256];
  snprintf (topic, sizeof topic, "rt/%s", topic_name[0] == '/' ? topic_name + 1 : topic_name);
  dds_qos_t *q = dds_create_qos ();
  dds_qset_reliability (q, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  dds_qset_history (q, DDS_HISTORY_KEEP_LAST, 10);
  dds_entity_t t = dds_create_topic (pp, &vision_msgs_msg_dds__Detection3DArray__desc, topic, NULL, NULL);
  dds_entity_t wr = dds_create_writer (pp, t, q, NULL);
  dds_delete_qos (q);
  if (wr < 0) { fprintf (stderr, "writer failed: %s\n", dds_strretcode (wr)); return 1; }

  vision_msgs_msg_dds__ObjectHypothesisWithPose_ h0[2], h1[1];
  memset (h0, 0, sizeof h0);
  memset (h1, 0, sizeof h1);
  h0[0].hypothesis.class_id = "bin"; h0[0].hypothesis.score = 0.25;
  set_pose (&h0[0].pose.pose, 1, 2, 3, 0, 0, 0, 1);
  h0[1].hypothesis.class_id = "red_cube"; h0[1].hypothesis.score = 0.875;
  set_pose (&h0[1].pose.pose, 0.4, -0.1, 0.425, 0, 0, 0.38268343236508978, 0.92387953251128674);
  h1[0].hypothesis.class_id = "green_cube"; h1[0].hypothesis.score = 0.5;   /* pose left all zero: unset */
  vision_msgs_msg_dds__Detection3D_ d[3];
  memset (d, 0, sizeof d);
  for (int i = 0; i < 3; i++) { d[i].header.frame_id = "world"; d[i].id = ""; }
  d[0].results._length = d[0].results._maximum = 2; d[0].results._buffer = h0;
  set_pose (&d[0].bbox.center, 9, 9, 9, 0, 0, 0, 1);
  d[0].bbox.size.x = 0.04; d[0].bbox.size.y = 0.05; d[0].bbox.size.z = 0.06;
  d[0].id = "track-7";
  d[1].results._length = d[1].results._maximum = 1; d[1].results._buffer = h1;
  set_pose (&d[1].bbox.center, 0.5, 0.2, 0.43, 0, 0, 0, 1);
  d[1].bbox.size.x = d[1].bbox.size.y = d[1].bbox.size.z = 0.04;
  set_pose (&d[2].bbox.center, -1, -1, -1, 0, 0, 0, 1);   /* no hypothesis: nothing to name it by */
  d[2].bbox.size.x = d[2].bbox.size.y = d[2].bbox.size.z = 0.1;
  if (strcmp (variant, "nan") == 0) h0[1].pose.pose.position.y = 0.0 / 0.0;

  vision_msgs_msg_dds__Detection3DArray_ a;
  memset (&a, 0, sizeof a);
  a.header.frame_id = "world";
  a.detections._length = a.detections._maximum = 3; a.detections._buffer = d;
  long published = 0;
  struct timespec start, now, wall;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;) {
    clock_gettime (CLOCK_REALTIME, &wall);
    long long ns = (long long) wall.tv_sec * 1000000000 + wall.tv_nsec;
    if (strcmp (variant, "zero") == 0) ns = 0;
    else if (strcmp (variant, "old") == 0) ns -= 2000000000LL;
    a.header.stamp.sec = (int32_t) (ns / 1000000000); a.header.stamp.nanosec = (uint32_t) (ns % 1000000000);
    for (int i = 0; i < 3; i++) d[i].header.stamp = a.header.stamp;
    if (dds_write (wr, &a) == 0) published++;
    dds_sleepfor (DDS_MSECS (20));
    clock_gettime (CLOCK_MONOTONIC, &now);
    if ((double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9 > seconds) break;
  }
  printf ("published %ld\n", published);
  fflush (stdout);
  return 0;
}

static int publish_gz_poses_mode (dds_entity_t pp, const char *topic_name, double seconds)
{
  char topic[256];
  snprintf (topic, sizeof topic, "rt/%s", topic_name[0] == '/' ? topic_name + 1 : topic_name);
  dds_qos_t *q = dds_create_qos ();
  dds_qset_reliability (q, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  dds_qset_history (q, DDS_HISTORY_KEEP_LAST, 10);
  dds_entity_t t = dds_create_topic (pp, &tf2_msgs_msg_dds__TFMessage__desc, topic, NULL, NULL);
  dds_entity_t wr = dds_create_writer (pp, t, q, NULL);
  dds_delete_qos (q);
  if (wr < 0) { fprintf (stderr, "writer failed: %s\n", dds_strretcode (wr)); return 1; }

  geometry_msgs_msg_dds__TransformStamped_ model, nameless[2];
  memset (&model, 0, sizeof model);
  memset (nameless, 0, sizeof nameless);
  model.header.frame_id = "cortexbot_tabletop";
  model.child_frame_id = "red_cube";
  model.transform.translation.x = 0.4; model.transform.translation.y = -0.1; model.transform.translation.z = 0.02;
  model.transform.rotation.z = 0.24740395925452294; model.transform.rotation.w = 0.96891242171064473; /* 0.5 rad about Z */
  for (int i = 0; i < 2; i++) {
    nameless[i].header.frame_id = ""; nameless[i].child_frame_id = "";
    nameless[i].transform.translation.x = 9; nameless[i].transform.rotation.w = 1;
  }
  tf2_msgs_msg_dds__TFMessage_ poses, dynamic;
  memset (&poses, 0, sizeof poses);
  memset (&dynamic, 0, sizeof dynamic);
  poses.transforms._length = poses.transforms._maximum = 1; poses.transforms._buffer = &model;
  dynamic.transforms._length = dynamic.transforms._maximum = 2; dynamic.transforms._buffer = nameless;
  long published = 0;
  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;) {
    clock_gettime (CLOCK_MONOTONIC, &now);
    double elapsed = (double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9;
    if (elapsed > seconds) break;
    long long sim = 12500000000LL + (long long) (elapsed * 1e9);
    model.header.stamp.sec = (int32_t) (sim / 1000000000); model.header.stamp.nanosec = (uint32_t) (sim % 1000000000);
    if (dds_write (wr, &poses) == 0) published++;
    if (dds_write (wr, &dynamic) == 0) published++;
    dds_sleepfor (DDS_MSECS (20));
  }
  printf ("published %ld\n", published);
  fflush (stdout);
  return 0;
}

static int jazzy_state_mode (dds_entity_t pp, const char *controller, double seconds)
{
  char topic[256];
  snprintf (topic, sizeof topic, "rt/%s/controller_state", controller);
  dds_qos_t *sq = dds_create_qos ();
  dds_qset_reliability (sq, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  dds_qset_history (sq, DDS_HISTORY_KEEP_LAST, 1);
  dds_entity_t st_topic = dds_create_topic (pp, ros_named (&jazzy_control_msgs_msg_dds__JointTrajectoryControllerState__desc), topic, NULL, NULL);
  dds_entity_t rd = dds_create_reader (pp, st_topic, sq, NULL);
  dds_delete_qos (sq);
  if (rd < 0) { fprintf (stderr, "reader failed: %s\n", dds_strretcode (rd)); return 1; }
  long states = 0;
  char joints[512] = "";
  int lengths_ok = 0, mdof_empty = 0;
  double maxerr = -1, speed = -1;
  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;) {
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    while (dds_take (rd, buf, &info, 1, 1) > 0) {
      jazzy_control_msgs_msg_dds__JointTrajectoryControllerState_ *m = buf[0];
      if (info.valid_data) {
        states++;
        uint32_t n = m->joint_names._length;
        joints[0] = 0;
        for (uint32_t i = 0; i < n; i++) {
          strncat (joints, m->joint_names._buffer[i], sizeof joints - strlen (joints) - 2);
          if (i + 1 < n) strcat (joints, ",");
        }
        lengths_ok = m->reference.positions._length == n && m->feedback.positions._length == n && m->error.positions._length == n
          && m->output.positions._length == n;
        maxerr = 0;
        for (uint32_t i = 0; lengths_ok && i < n; i++) {
          double e = m->error.positions._buffer[i] - (m->reference.positions._buffer[i] - m->feedback.positions._buffer[i]);
          if (e < 0) e = -e;
          if (e > maxerr) maxerr = e;
        }
        const trajectory_msgs_msg_dds__MultiDOFJointTrajectoryPoint_ *md[4] = { &m->multi_dof_reference, &m->multi_dof_feedback,
          &m->multi_dof_error, &m->multi_dof_output };
        mdof_empty = m->multi_dof_joint_names._length == 0;
        for (int k = 0; k < 4; k++)
          if (md[k]->transforms._length || md[k]->velocities._length || md[k]->accelerations._length) mdof_empty = 0;
        speed = m->speed_scaling_factor;
      }
      dds_return_loan (rd, buf, 1);
      buf[0] = NULL;
    }
    if (states >= 20) break;
    dds_sleepfor (DDS_MSECS (5));
    clock_gettime (CLOCK_MONOTONIC, &now);
    if ((double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9 > seconds) break;
  }
  printf ("state count %ld joints %s lengths %d maxerr %.17g multidof_empty %d speed %.17g\n", states, joints[0] ? joints : "-",
          lengths_ok, maxerr, mdof_empty, speed);
  return 0;
}

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

/* ------------------------------------------------------------------------------------------- action client mode */

typedef struct {
  dds_entity_t pp, send_w, send_r, cancel_w, cancel_r, result_w, result_r, fb_r, st_r, js_r;
  uint64_t guid;
  int64_t seq;
  uint64_t goal_counter;
  long feedback_for_first, feedback_total;
  int status_seen_first;   /* the last status the status topic gave the first goal */
  unique_identifier_msgs_msg_dds__UUID_ first;
  double rtt_us[64];
  int rtts;
} action_client;

static double mono_s (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec + t.tv_nsec * 1e-9;
}

static int same_uuid (const unique_identifier_msgs_msg_dds__UUID_ *a, const unique_identifier_msgs_msg_dds__UUID_ *b)
{
  return memcmp (a->uuid, b->uuid, 16) == 0;
}

/* drains feedback and status, counting what concerns the first goal */
static void drain_topics (action_client *c)
{
  void *buf[1] = { NULL };
  dds_sample_info_t info;
  while (dds_take (c->fb_r, buf, &info, 1, 1) > 0) {
    control_msgs_action_dds__FollowJointTrajectory_FeedbackMessage_ *f = buf[0];
    if (info.valid_data) {
      c->feedback_total++;
      if (same_uuid (&f->goal_id, &c->first) && f->feedback.joint_names._length == 6 && f->feedback.actual.positions._length == 6
          && f->feedback.desired.positions._length == 6 && f->feedback.error.positions._length == 6)
        c->feedback_for_first++;
    }
    dds_return_loan (c->fb_r, buf, 1);
    buf[0] = NULL;
  }
  while (dds_take (c->st_r, buf, &info, 1, 1) > 0) {
    action_msgs_msg_dds__GoalStatusArray_ *a = buf[0];
    if (info.valid_data)
      for (uint32_t i = 0; i < a->status_list._length; i++)
        if (same_uuid (&a->status_list._buffer[i].goal_info.goal_id, &c->first)) c->status_seen_first = a->status_list._buffer[i].status;
    dds_return_loan (c->st_r, buf, 1);
    buf[0] = NULL;
  }
}

/* waits for the reply carrying this client's guid and seq on reader r; copies it into out (size bytes) */
static int wait_reply (action_client *c, dds_entity_t r, int64_t seq, void *out, size_t size, double timeout)
{
  double end = mono_s () + timeout;
  while (mono_s () < end) {
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    while (dds_take (r, buf, &info, 1, 1) > 0) {
      int mine = 0;
      if (info.valid_data) {
        const uint64_t *hdr = buf[0];   /* every reply type starts with the request header */
        mine = hdr[0] == c->guid && (int64_t) hdr[1] == seq;
        if (mine) memcpy (out, buf[0], size);
      }
      dds_return_loan (r, buf, 1);
      buf[0] = NULL;
      if (mine) return 1;
    }
    drain_topics (c);
    dds_sleepfor (DDS_MSECS (1));
  }
  return 0;
}

static unique_identifier_msgs_msg_dds__UUID_ new_goal_id (action_client *c)
{
  unique_identifier_msgs_msg_dds__UUID_ id;
  uint64_t n = ++c->goal_counter, g = c->guid;
  memcpy (id.uuid, &g, 8);
  memcpy (id.uuid + 8, &n, 8);
  return id;
}

/* sends a goal moving the arm (names reversed) to `to` over `seconds` in two points; returns 1 accepted, 0 rejected, -1 no reply */
static int send_goal (action_client *c, const char **names, const double *to, const double *from, double seconds, double tol,
                      double goal_time_tol, unique_identifier_msgs_msg_dds__UUID_ *id_out)
{
  char *rev[6];
  double mid[6], fin[6];
  for (int i = 0; i < 6; i++) {
    rev[i] = (char *) names[5 - i];
    mid[i] = 0.5 * (from[5 - i] + to[5 - i]);
    fin[i] = to[5 - i];
  }
  trajectory_msgs_msg_dds__JointTrajectoryPoint_ pts[2];
  memset (pts, 0, sizeof pts);
  pts[0].positions._length = pts[0].positions._maximum = 6; pts[0].positions._buffer = mid;
  pts[1].positions._length = pts[1].positions._maximum = 6; pts[1].positions._buffer = fin;
  int64_t half = (int64_t) (seconds * 0.5e9), full = (int64_t) (seconds * 1e9);
  pts[0].time_from_start.sec = (int32_t) (half / 1000000000); pts[0].time_from_start.nanosec = (uint32_t) (half % 1000000000);
  pts[1].time_from_start.sec = (int32_t) (full / 1000000000); pts[1].time_from_start.nanosec = (uint32_t) (full % 1000000000);
  control_msgs_msg_dds__JointTolerance_ tols[6];
  for (int i = 0; i < 6; i++) { tols[i].name = (char *) ARM[i]; tols[i].position = tol; tols[i].velocity = 0; tols[i].acceleration = 0; }

  control_msgs_action_dds__FollowJointTrajectory_SendGoal_Request_ req;
  memset (&req, 0, sizeof req);
  req.rmw_client_guid = c->guid;
  req.rmw_sequence = ++c->seq;
  req.goal_id = new_goal_id (c);
  req.goal.trajectory.header.frame_id = "";
  req.goal.trajectory.joint_names._length = req.goal.trajectory.joint_names._maximum = 6;
  req.goal.trajectory.joint_names._buffer = rev;
  req.goal.trajectory.points._length = req.goal.trajectory.points._maximum = 2;
  req.goal.trajectory.points._buffer = pts;
  req.goal.multi_dof_trajectory.header.frame_id = "";
  if (tol > 0) {
    req.goal.goal_tolerance._length = req.goal.goal_tolerance._maximum = 6;
    req.goal.goal_tolerance._buffer = tols;
  }
  req.goal.goal_time_tolerance.sec = (int32_t) goal_time_tol;
  req.goal.goal_time_tolerance.nanosec = (uint32_t) ((goal_time_tol - (int32_t) goal_time_tol) * 1e9);
  if (id_out) *id_out = req.goal_id;
  double t0 = mono_s ();
  if (dds_write (c->send_w, &req) < 0) return -1;
  control_msgs_action_dds__FollowJointTrajectory_SendGoal_Response_ resp;
  if (!wait_reply (c, c->send_r, req.rmw_sequence, &resp, sizeof resp, 5)) return -1;
  if (c->rtts < 64) c->rtt_us[c->rtts++] = (mono_s () - t0) * 1e6;
  return resp.accepted ? 1 : 0;
}

/* get_result for a goal: status and error code (status -1: no reply) */
static void get_result (action_client *c, const unique_identifier_msgs_msg_dds__UUID_ *id, int *status, int *error, double timeout)
{
  control_msgs_action_dds__FollowJointTrajectory_GetResult_Request_ req;
  req.rmw_client_guid = c->guid;
  req.rmw_sequence = ++c->seq;
  req.goal_id = *id;
  *status = -1; *error = 99;
  if (dds_write (c->result_w, &req) < 0) return;
  control_msgs_action_dds__FollowJointTrajectory_GetResult_Response_ resp;
  if (!wait_reply (c, c->result_r, req.rmw_sequence, &resp, sizeof resp, timeout)) return;
  *status = resp.status;
  *error = resp.result.error_code;
}

static dds_entity_t endpoint (dds_entity_t pp, int writer, const dds_topic_descriptor_t *desc, const char *name, const char *userdata,
                              int depth, int transient_local)
{
  dds_entity_t t = dds_create_topic (pp, desc, name, NULL, NULL);
  if (t < 0) return t;
  dds_qos_t *q = dds_create_qos ();
  dds_qset_reliability (q, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  dds_qset_durability (q, transient_local ? DDS_DURABILITY_TRANSIENT_LOCAL : DDS_DURABILITY_VOLATILE);
  dds_qset_history (q, DDS_HISTORY_KEEP_LAST, depth);
  if (userdata) dds_qset_userdata (q, userdata, strlen (userdata));
  dds_entity_t e = writer ? dds_create_writer (pp, t, q, NULL) : dds_create_reader (pp, t, q, NULL);
  dds_delete_qos (q);
  return e;
}

static int current_arm (action_client *c, double *pos)
{
  double end = mono_s () + 5;
  while (mono_s () < end) {
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    int got = 0;
    while (dds_take (c->js_r, buf, &info, 1, 1) > 0) {
      sensor_msgs_msg_dds__JointState_ *m = buf[0];
      if (info.valid_data) {
        int found = 0;
        for (int i = 0; i < 6; i++)
          for (uint32_t k = 0; k < m->name._length && k < m->position._length; k++)
            if (strcmp (m->name._buffer[k], ARM[i]) == 0) { pos[i] = m->position._buffer[k]; found++; break; }
        got = found == 6;
      }
      dds_return_loan (c->js_r, buf, 1);
      buf[0] = NULL;
    }
    if (got) return 1;
    dds_sleepfor (DDS_MSECS (5));
  }
  return 0;
}

static int action_mode (dds_entity_t pp, const char *controller, double seconds)
{
  action_client c;
  memset (&c, 0, sizeof c);
  c.pp = pp;
  c.guid = 0x5eed0000c0ffee01ull ^ (uint64_t) getpid ();
  char n[6][300];
  const char *svc[3] = { "send_goal", "cancel_goal", "get_result" };
  const char *cid[3] = { "clientid=c.0.ff.ee.0.1;", "clientid=c.0.ff.ee.0.2;", "clientid=c.0.ff.ee.0.3;" };
  for (int k = 0; k < 3; k++) {
    snprintf (n[2 * k], sizeof n[0], "rq/%s/follow_joint_trajectory/_action/%sRequest", controller, svc[k]);
    snprintf (n[2 * k + 1], sizeof n[0], "rr/%s/follow_joint_trajectory/_action/%sReply", controller, svc[k]);
  }
  char fb[300], st[300];
  snprintf (fb, sizeof fb, "rt/%s/follow_joint_trajectory/_action/feedback", controller);
  snprintf (st, sizeof st, "rt/%s/follow_joint_trajectory/_action/status", controller);
  c.send_w = endpoint (pp, 1, &control_msgs_action_dds__FollowJointTrajectory_SendGoal_Request__desc, n[0], cid[0], 10, 0);
  c.send_r = endpoint (pp, 0, &control_msgs_action_dds__FollowJointTrajectory_SendGoal_Response__desc, n[1], cid[0], 10, 0);
  c.cancel_w = endpoint (pp, 1, &action_msgs_srv_dds__CancelGoal_Request__desc, n[2], cid[1], 10, 0);
  c.cancel_r = endpoint (pp, 0, &action_msgs_srv_dds__CancelGoal_Response__desc, n[3], cid[1], 10, 0);
  c.result_w = endpoint (pp, 1, &control_msgs_action_dds__FollowJointTrajectory_GetResult_Request__desc, n[4], cid[2], 10, 0);
  c.result_r = endpoint (pp, 0, &control_msgs_action_dds__FollowJointTrajectory_GetResult_Response__desc, n[5], cid[2], 10, 0);
  c.fb_r = endpoint (pp, 0, &control_msgs_action_dds__FollowJointTrajectory_FeedbackMessage__desc, fb, NULL, 1000, 0);
  c.st_r = endpoint (pp, 0, &action_msgs_msg_dds__GoalStatusArray__desc, st, NULL, 1000, 1);
  c.js_r = endpoint (pp, 0, &sensor_msgs_msg_dds__JointState__desc, "rt/joint_states", NULL, 1, 0);
  if (c.send_w < 0 || c.send_r < 0 || c.cancel_w < 0 || c.cancel_r < 0 || c.result_w < 0 || c.result_r < 0 || c.fb_r < 0 || c.st_r < 0 || c.js_r < 0) {
    fprintf (stderr, "action endpoints failed\n");
    return 1;
  }
  /* the server is available once every request writer and reply reader is matched */
  double end = mono_s () + seconds;
  dds_entity_t ends[6] = { c.send_w, c.send_r, c.cancel_w, c.cancel_r, c.result_w, c.result_r };
  for (;;) {
    int ok = 1;
    for (int k = 0; k < 6; k++) {
      if (k % 2 == 0) { dds_publication_matched_status_t s; dds_get_publication_matched_status (ends[k], &s); ok &= s.current_count > 0; }
      else { dds_subscription_matched_status_t s; dds_get_subscription_matched_status (ends[k], &s); ok &= s.current_count > 0; }
    }
    if (ok) break;
    if (mono_s () > end) { fprintf (stderr, "no action server\n"); return 1; }
    dds_sleepfor (DDS_MSECS (10));
  }
  double from[6], to[6];
  if (!current_arm (&c, from)) { fprintf (stderr, "no joint states\n"); return 1; }

  /* 1. a valid goal: joint 0 by +0.15 rad, wrist_pitch by -0.1 over 0.8 s; within 0.05 rad, 2 s of goal time tolerance */
  for (int i = 0; i < 6; i++) to[i] = from[i];
  to[0] += 0.15; to[4] -= 0.1;
  int ok1 = send_goal (&c, ARM, to, from, 0.8, 0.05, 2.0, &c.first);
  int st1 = -1, er1 = 99;
  if (ok1 == 1) get_result (&c, &c.first, &st1, &er1, 10);
  double after[6] = { 0 };
  current_arm (&c, after);
  double err1 = 0;
  for (int i = 0; i < 6; i++) { double e = after[i] - to[i]; if (e < 0) e = -e; if (e > err1) err1 = e; }
  double wait_status = mono_s () + 1;
  while (c.status_seen_first != 4 && mono_s () < wait_status) { drain_topics (&c); dds_sleepfor (DDS_MSECS (5)); }

  /* 2. an unknown joint name */
  const char *bad_names[6] = { ARM[0], ARM[1], "knee", ARM[3], ARM[4], ARM[5] };
  unique_identifier_msgs_msg_dds__UUID_ id2, id3, id4, id5, id6;
  int ok2 = send_goal (&c, bad_names, to, after, 0.5, 0, 0, &id2);
  int st2, er2;
  get_result (&c, &id2, &st2, &er2, 5);

  /* 3. a NaN position */
  double nan_to[6];
  for (int i = 0; i < 6; i++) nan_to[i] = to[i];
  nan_to[2] = 0.0 / 0.0;
  int ok3 = send_goal (&c, ARM, nan_to, after, 0.5, 0, 0, &id3);
  int st3, er3;
  get_result (&c, &id3, &st3, &er3, 5);

  /* 4. a long goal (back to the start over 3 s), canceled by id after 0.3 s */
  int ok4 = send_goal (&c, ARM, from, to, 3.0, 0, 0, &id4);
  dds_sleepfor (DDS_MSECS (300));
  action_msgs_srv_dds__CancelGoal_Request_ creq;
  memset (&creq, 0, sizeof creq);
  creq.rmw_client_guid = c.guid;
  creq.rmw_sequence = ++c.seq;
  creq.goal_info.goal_id = id4;
  dds_write (c.cancel_w, &creq);
  int cancel_code = -1, cancel_count = -1, cancel_id_ok = 0;
  double cend = mono_s () + 5;
  while (mono_s () < cend && cancel_code < 0) {
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    while (dds_take (c.cancel_r, buf, &info, 1, 1) > 0) {
      action_msgs_srv_dds__CancelGoal_Response_ *r = buf[0];
      if (info.valid_data && r->rmw_client_guid == c.guid && r->rmw_sequence == creq.rmw_sequence) {
        cancel_code = r->return_code;
        cancel_count = (int) r->goals_canceling._length;
        cancel_id_ok = cancel_count == 1 && same_uuid (&r->goals_canceling._buffer[0].goal_id, &id4);
      }
      dds_return_loan (c.cancel_r, buf, 1);
      buf[0] = NULL;
    }
    dds_sleepfor (DDS_MSECS (1));
  }
  int st4, er4;
  get_result (&c, &id4, &st4, &er4, 5);

  /* 5. a long goal preempted by a short one */
  current_arm (&c, after);
  int ok5 = send_goal (&c, ARM, from, after, 3.0, 0, 0, &id5);
  int ok6 = send_goal (&c, ARM, after, after, 0.2, 0, 0, &id6);
  int st5, er5, st6, er6;
  get_result (&c, &id5, &st5, &er5, 5);
  get_result (&c, &id6, &st6, &er6, 5);

  /* send_goal round trips: 20 single-point-ish goals holding the arm where it is */
  for (int k = 0; k < 20; k++) {
    current_arm (&c, after);
    unique_identifier_msgs_msg_dds__UUID_ idk;
    send_goal (&c, ARM, after, after, 0.05, 0, 0, &idk);
  }
  drain_topics (&c);
  double sorted[64];
  int nr = c.rtts;
  memcpy (sorted, c.rtt_us, sizeof (double) * (size_t) nr);
  for (int i = 1; i < nr; i++) for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) { double t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t; }
  printf ("ok1 %d status1 %d error1 %d finalerr1 %.6f feedback1 %ld statusseen1 %d "
          "ok2 %d status2 %d error2 %d ok3 %d status3 %d error3 %d "
          "ok4 %d cancelcode %d cancelcount %d cancelid %d status4 %d error4 %d "
          "ok5 %d status5 %d error5 %d ok6 %d status6 %d error6 %d rtts %d rttp50us %.1f rttmaxus %.1f\n",
          ok1, st1, er1, err1, c.feedback_for_first, c.status_seen_first,
          ok2, st2, er2, ok3, st3, er3,
          ok4, cancel_code, cancel_count, cancel_id_ok, st4, er4,
          ok5, st5, er5, ok6, st6, er6, nr, nr ? sorted[nr / 2] : -1.0, nr ? sorted[nr - 1] : -1.0);
  return 0;
}

#define GRAPH_MAX 1024
struct endpoint { dds_guid_t key, participant; char topic[256]; char user_data[128]; int rel, dur, hist, depth; };
struct graph {
  rmw_dds_common_msg_dds__ParticipantEntitiesInfo_ *infos[64];
  int ninfos;
  struct endpoint pubs[GRAPH_MAX], subs[GRAPH_MAX];
  int npubs, nsubs;
  dds_guid_t pps[64];
  int pp_enclave[64];
  int npps;
  int humble, gid_tail_nonzero;
};

static int guid_eq (const uint8_t *a, const uint8_t *b) { return memcmp (a, b, 16) == 0; }

static void take_endpoints (dds_entity_t rd, struct endpoint *eps, int *n)
{
  void *buf[1] = { NULL };
  dds_sample_info_t info;
  while (dds_take (rd, buf, &info, 1, 1) > 0) {
    dds_builtintopic_endpoint_t *e = buf[0];
    if (info.valid_data && *n < GRAPH_MAX) {
      struct endpoint *x = &eps[(*n)++];
      x->key = e->key;
      x->participant = e->participant_key;
      snprintf (x->topic, sizeof x->topic, "%s", e->topic_name);
      dds_reliability_kind_t rk = 0; dds_duration_t mb; dds_durability_kind_t dk = 0; dds_history_kind_t hk = 0; int32_t depth = -1;
      dds_qget_reliability (e->qos, &rk, &mb);
      dds_qget_durability (e->qos, &dk);
      dds_qget_history (e->qos, &hk, &depth);
      x->rel = (int) rk; x->dur = (int) dk; x->hist = (int) hk; x->depth = depth;
      void *ud = NULL; size_t sz = 0;
      x->user_data[0] = 0;
      if (dds_qget_userdata (e->qos, &ud, &sz) && ud != NULL && sz > 0)
        snprintf (x->user_data, sizeof x->user_data, "%.*s", (int) sz, (const char *) ud);
      dds_free (ud);
    }
    dds_return_loan (rd, buf, 1);
    buf[0] = NULL;
  }
}

static const struct endpoint *find_endpoint (const struct endpoint *eps, int n, const uint8_t *gid)
{
  for (int i = 0; i < n; i++) if (guid_eq (eps[i].key.v, gid)) return &eps[i];
  return NULL;
}

/* Checks one node against DDS discovery; returns 1 when every listed GID is a real endpoint of the node's participant and
 * every endpoint of that participant (but the graph writer) is listed. */
static int check_node (const struct graph *g, const char *name, int print)
{
  for (int i = g->ninfos - 1; i >= 0; i--) {
    const rmw_dds_common_msg_dds__ParticipantEntitiesInfo_ *pi = g->infos[i];
    for (uint32_t k = 0; k < pi->node_entities_info_seq._length; k++) {
      const rmw_dds_common_msg_dds__NodeEntitiesInfo_ *ni = &pi->node_entities_info_seq._buffer[k];
      if (strcmp (ni->node_name, name) != 0) continue;
      const uint8_t *ppgid = pi->gid.data;
      int enclave = -1;
      for (int p = 0; p < g->npps; p++) if (guid_eq (g->pps[p].v, ppgid)) enclave = g->pp_enclave[p];
      int unmatched = 0, unlisted = 0, writers = (int) ni->writer_gid_seq._length, readers = (int) ni->reader_gid_seq._length;
      char topics[4096] = "", jshash[128] = "-";
      for (int w = 0; w < writers; w++) {
        const struct endpoint *e = find_endpoint (g->pubs, g->npubs, ni->writer_gid_seq._buffer[w].data);
        if (e == NULL || !guid_eq (e->participant.v, ppgid)) unmatched++;
        else {
          strncat (topics, e->topic, sizeof topics - strlen (topics) - 2);
          strcat (topics, ",");
          if (strcmp (e->topic, "rt/joint_states") == 0 && e->user_data[0]) snprintf (jshash, sizeof jshash, "%s", e->user_data);
        }
      }
      for (int r = 0; r < readers; r++) {
        const struct endpoint *e = find_endpoint (g->subs, g->nsubs, ni->reader_gid_seq._buffer[r].data);
        if (e == NULL || !guid_eq (e->participant.v, ppgid)) unmatched++;
      }
      int rel = -1, dur = -1, hist = -1, depth = -1;
      for (int e = 0; e < g->npubs; e++) {
        if (!guid_eq (g->pubs[e].participant.v, ppgid)) continue;
        if (strcmp (g->pubs[e].topic, "ros_discovery_info") == 0) {
          rel = g->pubs[e].rel; dur = g->pubs[e].dur; hist = g->pubs[e].hist; depth = g->pubs[e].depth;
          continue;
        }
        int listed = 0;
        for (int w = 0; w < writers; w++) if (guid_eq (ni->writer_gid_seq._buffer[w].data, g->pubs[e].key.v)) listed = 1;
        if (!listed) unlisted++;
      }
      for (int e = 0; e < g->nsubs; e++) {
        if (!guid_eq (g->subs[e].participant.v, ppgid)) continue;
        int listed = 0;
        for (int r = 0; r < readers; r++) if (guid_eq (ni->reader_gid_seq._buffer[r].data, g->subs[e].key.v)) listed = 1;
        if (!listed) unlisted++;
      }
      if (print)
        printf ("node %s ns %s found 1 enclave %d writers %d readers %d unmatched %d unlisted %d infoqos %d %d %d %d jsuserdata %s gidbytes %d gidtailnonzero %d topics %s\n",
                name, ni->node_namespace, enclave, writers, readers, unmatched, unlisted, rel, dur, hist, depth, jshash,
                g->humble ? 24 : 16, g->gid_tail_nonzero, topics[0] ? topics : "-");
      return enclave == 1 && unmatched == 0 && unlisted == 0 && writers + readers > 0 && rel >= 0;
    }
  }
  if (print) printf ("node %s ns - found 0\n", name);
  return 0;
}

/* Humble's Gid (24 bytes) as Iron's (16): the GUID is the first 16 bytes; counts a GID whose other 8 are not zero. */
static void gid_from_humble (uint8_t *to, const uint8_t *from, int *tail_nonzero)
{
  memcpy (to, from, 16);
  for (int i = 16; i < 24; i++) if (from[i]) { (*tail_nonzero)++; break; }
}

static void gids_from_humble (dds_sequence_rmw_dds_common_msg_dds__Gid_ *to, const dds_sequence_humble_rmw_dds_common_msg_dds__Gid_ *from, int *tail)
{
  to->_length = to->_maximum = from->_length;
  to->_buffer = dds_alloc (sizeof (rmw_dds_common_msg_dds__Gid_) * (from->_length ? from->_length : 1));
  to->_release = true;
  for (uint32_t i = 0; i < from->_length; i++) gid_from_humble (to->_buffer[i].data, from->_buffer[i].data, tail);
}

/* Takes one ros_discovery_info sample in Humble's layout and gives it in Iron's, so one check serves both. */
static int take_humble_info (dds_entity_t rd, rmw_dds_common_msg_dds__ParticipantEntitiesInfo_ *m, dds_sample_info_t *info, int *tail)
{
  void *buf[1] = { NULL };
  if (dds_take (rd, buf, info, 1, 1) <= 0) return 0;
  const humble_rmw_dds_common_msg_dds__ParticipantEntitiesInfo_ *h = buf[0];
  if (info->valid_data) {
    gid_from_humble (m->gid.data, h->gid.data, tail);
    uint32_t n = h->node_entities_info_seq._length;
    m->node_entities_info_seq._length = m->node_entities_info_seq._maximum = n;
    m->node_entities_info_seq._buffer = dds_alloc (sizeof (rmw_dds_common_msg_dds__NodeEntitiesInfo_) * (n ? n : 1));
    m->node_entities_info_seq._release = true;
    for (uint32_t k = 0; k < n; k++) {
      rmw_dds_common_msg_dds__NodeEntitiesInfo_ *to = &m->node_entities_info_seq._buffer[k];
      const humble_rmw_dds_common_msg_dds__NodeEntitiesInfo_ *from = &h->node_entities_info_seq._buffer[k];
      memcpy (to->node_namespace, from->node_namespace, sizeof to->node_namespace);
      memcpy (to->node_name, from->node_name, sizeof to->node_name);
      gids_from_humble (&to->reader_gid_seq, &from->reader_gid_seq, tail);
      gids_from_humble (&to->writer_gid_seq, &from->writer_gid_seq, tail);
    }
  }
  dds_return_loan (rd, buf, 1);
  return 1;
}

static int graph_mode (dds_entity_t pp, double seconds, char **names, int nnames, int humble)
{
  static struct graph g;
  g.humble = humble;
  dds_qos_t *q = dds_create_qos ();
  dds_qset_reliability (q, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  dds_qset_durability (q, DDS_DURABILITY_TRANSIENT_LOCAL);
  /* an unkeyed topic is one instance for all writers: keep all, as rmw_cyclonedds' own reader does */
  dds_qset_history (q, DDS_HISTORY_KEEP_ALL, 0);
  dds_entity_t t = dds_create_topic (pp, humble ? ros_named (&humble_rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc)
                                             : &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, "ros_discovery_info", NULL, NULL);
  dds_entity_t info_rd = dds_create_reader (pp, t, q, NULL);
  dds_delete_qos (q);
  dds_entity_t pp_rd = dds_create_reader (pp, DDS_BUILTIN_TOPIC_DCPSPARTICIPANT, NULL, NULL);
  dds_entity_t pub_rd = dds_create_reader (pp, DDS_BUILTIN_TOPIC_DCPSPUBLICATION, NULL, NULL);
  dds_entity_t sub_rd = dds_create_reader (pp, DDS_BUILTIN_TOPIC_DCPSSUBSCRIPTION, NULL, NULL);
  if (info_rd < 0 || pp_rd < 0 || pub_rd < 0 || sub_rd < 0) { fprintf (stderr, "graph readers failed\n"); return 1; }
  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  int changes = 0, last_signature = -1;
  double stable_since = 0;
  for (;;) {
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    for (;;) {
      /* the newest message of a participant replaces its older one (a fresh sample per endpoint added) */
      rmw_dds_common_msg_dds__ParticipantEntitiesInfo_ *m = rmw_dds_common_msg_dds__ParticipantEntitiesInfo___alloc ();
      void *one[1] = { m };
      int got = humble ? take_humble_info (info_rd, m, &info, &g.gid_tail_nonzero) : dds_take (info_rd, one, &info, 1, 1);
      if (got <= 0) { dds_sample_free (m, &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, DDS_FREE_ALL); break; }
      if (!info.valid_data) { dds_sample_free (m, &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, DDS_FREE_ALL); continue; }
      int slot = -1;
      for (int i = 0; i < g.ninfos; i++) if (guid_eq (g.infos[i]->gid.data, m->gid.data)) slot = i;
      if (slot >= 0) dds_sample_free (g.infos[slot], &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, DDS_FREE_ALL);
      else if (g.ninfos < 64) slot = g.ninfos++;
      else { dds_sample_free (m, &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, DDS_FREE_ALL); continue; }
      g.infos[slot] = m;
      changes++;
    }
    while (dds_take (pp_rd, buf, &info, 1, 1) > 0) {
      dds_builtintopic_participant_t *p = buf[0];
      if (info.valid_data && g.npps < 64) {
        void *ud = NULL; size_t sz = 0;
        int enclave = dds_qget_userdata (p->qos, &ud, &sz) && ud != NULL && sz == strlen ("enclave=/;") && memcmp (ud, "enclave=/;", sz) == 0;
        dds_free (ud);
        g.pps[g.npps] = p->key;
        g.pp_enclave[g.npps++] = enclave;
      }
      dds_return_loan (pp_rd, buf, 1);
      buf[0] = NULL;
    }
    take_endpoints (pub_rd, g.pubs, &g.npubs);
    take_endpoints (sub_rd, g.subs, &g.nsubs);
    int all = 1;
    for (int i = 0; i < nnames; i++) all &= check_node (&g, names[i], 0);
    clock_gettime (CLOCK_MONOTONIC, &now);
    double t = (double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9;
    /* a process still creating endpoints is consistent at every step: wait until nothing has changed for a second */
    int signature = g.ninfos + g.npubs + g.nsubs + g.npps + changes;
    if (!all || signature != last_signature) { last_signature = signature; stable_since = t; }
    if ((all && t - stable_since >= 1.0) || t > seconds) break;
    dds_sleepfor (DDS_MSECS (20));
  }
  for (int i = 0; i < nnames; i++) check_node (&g, names[i], 1);
  fflush (stdout);
  return 0;
}

static int gz_control_mode (dds_entity_t pp, const char *world, double seconds)
{
  char rq[256], rr[256];
  snprintf (rq, sizeof rq, "rq/world/%s/controlRequest", world);
  snprintf (rr, sizeof rr, "rr/world/%s/controlReply", world);
  const char *pairing = "serviceid=1.2.3.4.5.6.7.8.9.a.b.c.d.e.f.10;";
  dds_entity_t req_r = endpoint (pp, 0, &ros_gz_interfaces_srv_dds__ControlWorld_Request__desc, rq, pairing, 10, 0);
  dds_entity_t rep_w = endpoint (pp, 1, &ros_gz_interfaces_srv_dds__ControlWorld_Response__desc, rr, pairing, 10, 0);
  dds_entity_t js_w = endpoint (pp, 1, &sensor_msgs_msg_dds__JointState__desc, "rt/joint_states", NULL, 10, 0);
  if (req_r < 0 || rep_w < 0 || js_w < 0) { fprintf (stderr, "endpoints failed\n"); return 1; }
  char *names[8] = { (char *) ARM[0], (char *) ARM[1], (char *) ARM[2], (char *) ARM[3], (char *) ARM[4], (char *) ARM[5],
                     "finger_left", "finger_right" };
  double pos[8] = { 0, -0.4, 0.8, 0, 1.0, 0, 0.02, 0.02 }, vel[8] = { 0 };
  double start = mono_s (), stop = start + seconds;
  int served = 0;
  while (mono_s () < stop) {
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    while (dds_take (req_r, buf, &info, 1, 1) > 0) {
      if (info.valid_data) {
        const ros_gz_interfaces_srv_dds__ControlWorld_Request_ *m = buf[0];
        const ros_gz_interfaces_msg_dds__WorldControl_ *c = &m->world_control;
        printf ("request guid %llu seq %lld pause %d step %d multi_step %u reset %d %d %d seed %u run_to %d %u\n",
                (unsigned long long) m->rmw_client_guid, (long long) m->rmw_sequence, c->pause, c->step, c->multi_step,
                c->reset.all, c->reset.time_only, c->reset.model_only, c->seed, c->run_to_sim_time.sec, c->run_to_sim_time.nanosec);
        ros_gz_interfaces_srv_dds__ControlWorld_Response_ reply = { m->rmw_client_guid, m->rmw_sequence, c->reset.all };
        dds_write (rep_w, &reply);
        if (!served) { served = 1; if (stop > mono_s () + 0.5) stop = mono_s () + 0.5; }
      }
      dds_return_loan (req_r, buf, 1);
      buf[0] = NULL;
    }
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    sensor_msgs_msg_dds__JointState_ js;
    memset (&js, 0, sizeof js);
    js.header.stamp.sec = (int32_t) now.tv_sec;
    js.header.stamp.nanosec = (uint32_t) now.tv_nsec;
    js.header.frame_id = "";
    js.name._length = js.name._maximum = 8; js.name._buffer = names;
    js.position._length = js.position._maximum = 8; js.position._buffer = pos;
    js.velocity._length = js.velocity._maximum = 8; js.velocity._buffer = vel;
    dds_write (js_w, &js);
    dds_sleepfor (DDS_MSECS (2));
  }
  fflush (stdout);
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
  if (argc > 5 && strcmp (argv[4], "graph") == 0) {
    int rc = graph_mode (pp, seconds, argv + 5, argc - 5, strcmp (controller, "humble") == 0);
    dds_delete (pp);
    dds_delete (d);
    return rc;
  }
  if (argc > 4 && strcmp (argv[4], "action") == 0) {
    int rc = action_mode (pp, controller, seconds);
    dds_delete (pp);
    dds_delete (d);
    return rc;
  }
  if (argc > 4 && (strcmp (argv[4], "detections") == 0 || strcmp (argv[4], "publish-detections") == 0)) {
    int rc = strcmp (argv[4], "detections") == 0 ? detections_mode (pp, controller, seconds)
                                                 : publish_detections_mode (pp, controller, seconds, argc > 5 ? argv[5] : "now");
    dds_delete (pp);
    dds_delete (d);
    return rc;
  }
  if (argc > 4 && strcmp (argv[4], "publish-gz-poses") == 0) {
    int rc = publish_gz_poses_mode (pp, controller, seconds);
    dds_delete (pp);
    dds_delete (d);
    return rc;
  }
  if (argc > 4 && strcmp (argv[4], "gz-control") == 0) {
    int rc = gz_control_mode (pp, controller, seconds);
    dds_delete (pp);
    dds_delete (d);
    return rc;
  }
  if (argc > 4 && strcmp (argv[4], "listen-jazzy") == 0) {
    int rc = jazzy_state_mode (pp, controller, seconds);
    dds_delete (pp);
    dds_delete (d);
    return rc;
  }
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
