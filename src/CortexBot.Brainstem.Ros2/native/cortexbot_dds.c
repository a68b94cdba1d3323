/*
 * CortexBot's Cyclone DDS shim: the idlc-generated ROS 2 message types (ros2_types.idl -> ros2_types.c/.h, compiled
 * into this library) plus a flat C API over libddsc for P/Invoke. Messages are written and read as the generated C
 * structs, whose layouts the C# side mirrors (cbd_sizeof lets it check them at start).
 */
#include <string.h>
#include <stdlib.h>
#include "dds/dds.h"
#include "dds/ddsi/ddsi_serdata.h"
#include "ros2_types.h"

#define API __attribute__((visibility("default")))

enum cbd_type {
  CBD_JOINT_STATE = 0,
  CBD_JOINT_TRAJECTORY = 1,
  CBD_FLOAT64_MULTI_ARRAY = 2,
  CBD_BOOL = 3,
  CBD_SCENE_STATUS = 4,
  CBD_RESET_REQUEST = 5,
  CBD_LINK_STATUS = 6,
  CBD_IMAGE = 7,
  CBD_CONTROLLER_STATE = 8,
  /* control_msgs/action/FollowJointTrajectory (services carry rmw_cyclonedds' request header, see ros2_types.idl) */
  CBD_GOAL_STATUS_ARRAY = 9,
  CBD_CANCEL_GOAL_REQUEST = 10,
  CBD_CANCEL_GOAL_RESPONSE = 11,
  CBD_FJT_SEND_GOAL_REQUEST = 12,
  CBD_FJT_SEND_GOAL_RESPONSE = 13,
  CBD_FJT_GET_RESULT_REQUEST = 14,
  CBD_FJT_GET_RESULT_RESPONSE = 15,
  CBD_FJT_FEEDBACK_MESSAGE = 16,
  /* rmw_dds_common/msg/ParticipantEntitiesInfo on ros_discovery_info (the ROS 2 graph: nodes and their endpoints) */
  CBD_PARTICIPANT_ENTITIES_INFO = 17,
  /* the layouts of other ROS 2 distributions (--ros-distro): Jazzy's controller state, Humble's graph message */
  CBD_CONTROLLER_STATE_JAZZY = 18,
  CBD_PARTICIPANT_ENTITIES_INFO_HUMBLE = 19,
  /* diagnostic_msgs/msg/DiagnosticArray on /diagnostics */
  CBD_DIAGNOSTIC_ARRAY = 20,
  /* std_msgs/msg/String (robot_description) and tf2_msgs/msg/TFMessage (/tf) */
  CBD_STRING = 21,
  CBD_TF_MESSAGE = 22,
  /* vision_msgs/msg/Detection3DArray (a perception node's /detections) */
  CBD_DETECTION3D_ARRAY = 23,
  /* ros_gz_interfaces/srv/ControlWorld (Gazebo's /world/<name>/control through ros_gz_bridge; with the request header) */
  CBD_CONTROL_WORLD_REQUEST = 24,
  CBD_CONTROL_WORLD_RESPONSE = 25,
  CBD_TYPE_COUNT = 26
};

/* A distribution's layout sits in a module named after it (idlc cannot hold two structs of one name); ROS 2 has one
 * type name for both, so such a type's topic is created under its name without that first module. */
static const dds_topic_descriptor_t *humble_participant_info, *jazzy_controller_state;

static const dds_topic_descriptor_t *without_distro_module (const dds_topic_descriptor_t *d)
{
  /* the descriptor has const members: copy it into allocated storage, where only the (non-const) name is changed */
  dds_topic_descriptor_t *c = malloc (sizeof *c);
  if (c == NULL) return NULL;
  memcpy (c, d, sizeof *c);
  const char *sep = strstr (d->m_typename, "::");
  c->m_typename = sep ? sep + 2 : d->m_typename;
  return c;
}

__attribute__((constructor)) static void init_distro_descriptors (void)
{
  humble_participant_info = without_distro_module (&humble_rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc);
  jazzy_controller_state = without_distro_module (&jazzy_control_msgs_msg_dds__JointTrajectoryControllerState__desc);
}

static const dds_topic_descriptor_t *descriptor (int type)
{
  switch (type) {
    case CBD_JOINT_STATE: return &sensor_msgs_msg_dds__JointState__desc;
    case CBD_JOINT_TRAJECTORY: return &trajectory_msgs_msg_dds__JointTrajectory__desc;
    case CBD_FLOAT64_MULTI_ARRAY: return &std_msgs_msg_dds__Float64MultiArray__desc;
    case CBD_BOOL: return &std_msgs_msg_dds__Bool__desc;
    case CBD_SCENE_STATUS: return &cortexbot_msgs_msg_dds__SceneStatus__desc;
    case CBD_RESET_REQUEST: return &cortexbot_msgs_msg_dds__ResetRequest__desc;
    case CBD_LINK_STATUS: return &cortexbot_msgs_msg_dds__LinkStatus__desc;
    case CBD_IMAGE: return &sensor_msgs_msg_dds__Image__desc;
    case CBD_CONTROLLER_STATE: return &control_msgs_msg_dds__JointTrajectoryControllerState__desc;
    case CBD_GOAL_STATUS_ARRAY: return &action_msgs_msg_dds__GoalStatusArray__desc;
    case CBD_CANCEL_GOAL_REQUEST: return &action_msgs_srv_dds__CancelGoal_Request__desc;
    case CBD_CANCEL_GOAL_RESPONSE: return &action_msgs_srv_dds__CancelGoal_Response__desc;
    case CBD_FJT_SEND_GOAL_REQUEST: return &control_msgs_action_dds__FollowJointTrajectory_SendGoal_Request__desc;
    case CBD_FJT_SEND_GOAL_RESPONSE: return &control_msgs_action_dds__FollowJointTrajectory_SendGoal_Response__desc;
    case CBD_FJT_GET_RESULT_REQUEST: return &control_msgs_action_dds__FollowJointTrajectory_GetResult_Request__desc;
    case CBD_FJT_GET_RESULT_RESPONSE: return &control_msgs_action_dds__FollowJointTrajectory_GetResult_Response__desc;
    case CBD_FJT_FEEDBACK_MESSAGE: return &control_msgs_action_dds__FollowJointTrajectory_FeedbackMessage__desc;
    case CBD_PARTICIPANT_ENTITIES_INFO: return &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc;
    case CBD_CONTROLLER_STATE_JAZZY: return jazzy_controller_state;
    case CBD_PARTICIPANT_ENTITIES_INFO_HUMBLE: return humble_participant_info;
    case CBD_DIAGNOSTIC_ARRAY: return &diagnostic_msgs_msg_dds__DiagnosticArray__desc;
    case CBD_STRING: return &std_msgs_msg_dds__String__desc;
    case CBD_TF_MESSAGE: return &tf2_msgs_msg_dds__TFMessage__desc;
    case CBD_DETECTION3D_ARRAY: return &vision_msgs_msg_dds__Detection3DArray__desc;
    case CBD_CONTROL_WORLD_REQUEST: return &ros_gz_interfaces_srv_dds__ControlWorld_Request__desc;
    case CBD_CONTROL_WORLD_RESPONSE: return &ros_gz_interfaces_srv_dds__ControlWorld_Response__desc;
    default: return NULL;
  }
}

API int cbd_abi_version (void) { return 11; }

/* sizeof of the generated struct for a type, or of helper structs: 100 = JointTrajectoryPoint_, 101 = dds_sample_info_t,
 * 102 = MultiDOFJointTrajectoryPoint_, 103 = GoalStatus_, 104 = GoalInfo_, 105 = JointTolerance_,
 * 106 = JointComponentTolerance_, 107 = FollowJointTrajectory_Goal_, 108 = MultiDOFJointTrajectory_,
 * 109 = FollowJointTrajectory_Feedback_, 110 = Gid_, 111 = NodeEntitiesInfo_, 112 = Humble's Gid_, 113 = Humble's NodeEntitiesInfo_,
 * 114 = DiagnosticStatus_, 115 = KeyValue_, 116 = TransformStamped_, 117 = Detection3D_, 118 = ObjectHypothesisWithPose_,
 * 119 = ros_gz_interfaces' WorldControl_. */
API long cbd_sizeof (int type)
{
  switch (type) {
    case CBD_JOINT_STATE: return (long) sizeof (sensor_msgs_msg_dds__JointState_);
    case CBD_JOINT_TRAJECTORY: return (long) sizeof (trajectory_msgs_msg_dds__JointTrajectory_);
    case CBD_FLOAT64_MULTI_ARRAY: return (long) sizeof (std_msgs_msg_dds__Float64MultiArray_);
    case CBD_BOOL: return (long) sizeof (std_msgs_msg_dds__Bool_);
    case CBD_SCENE_STATUS: return (long) sizeof (cortexbot_msgs_msg_dds__SceneStatus_);
    case CBD_RESET_REQUEST: return (long) sizeof (cortexbot_msgs_msg_dds__ResetRequest_);
    case CBD_LINK_STATUS: return (long) sizeof (cortexbot_msgs_msg_dds__LinkStatus_);
    case CBD_IMAGE: return (long) sizeof (sensor_msgs_msg_dds__Image_);
    case CBD_CONTROLLER_STATE: return (long) sizeof (control_msgs_msg_dds__JointTrajectoryControllerState_);
    case CBD_GOAL_STATUS_ARRAY: return (long) sizeof (action_msgs_msg_dds__GoalStatusArray_);
    case CBD_CANCEL_GOAL_REQUEST: return (long) sizeof (action_msgs_srv_dds__CancelGoal_Request_);
    case CBD_CANCEL_GOAL_RESPONSE: return (long) sizeof (action_msgs_srv_dds__CancelGoal_Response_);
    case CBD_FJT_SEND_GOAL_REQUEST: return (long) sizeof (control_msgs_action_dds__FollowJointTrajectory_SendGoal_Request_);
    case CBD_FJT_SEND_GOAL_RESPONSE: return (long) sizeof (control_msgs_action_dds__FollowJointTrajectory_SendGoal_Response_);
    case CBD_FJT_GET_RESULT_REQUEST: return (long) sizeof (control_msgs_action_dds__FollowJointTrajectory_GetResult_Request_);
    case CBD_FJT_GET_RESULT_RESPONSE: return (long) sizeof (control_msgs_action_dds__FollowJointTrajectory_GetResult_Response_);
    case CBD_FJT_FEEDBACK_MESSAGE: return (long) sizeof (control_msgs_action_dds__FollowJointTrajectory_FeedbackMessage_);
    case CBD_PARTICIPANT_ENTITIES_INFO: return (long) sizeof (rmw_dds_common_msg_dds__ParticipantEntitiesInfo_);
    case CBD_CONTROLLER_STATE_JAZZY: return (long) sizeof (jazzy_control_msgs_msg_dds__JointTrajectoryControllerState_);
    case CBD_PARTICIPANT_ENTITIES_INFO_HUMBLE: return (long) sizeof (humble_rmw_dds_common_msg_dds__ParticipantEntitiesInfo_);
    case CBD_DIAGNOSTIC_ARRAY: return (long) sizeof (diagnostic_msgs_msg_dds__DiagnosticArray_);
    case 114: return (long) sizeof (diagnostic_msgs_msg_dds__DiagnosticStatus_);
    case 115: return (long) sizeof (diagnostic_msgs_msg_dds__KeyValue_);
    case CBD_STRING: return (long) sizeof (std_msgs_msg_dds__String_);
    case CBD_TF_MESSAGE: return (long) sizeof (tf2_msgs_msg_dds__TFMessage_);
    case 116: return (long) sizeof (geometry_msgs_msg_dds__TransformStamped_);
    case CBD_DETECTION3D_ARRAY: return (long) sizeof (vision_msgs_msg_dds__Detection3DArray_);
    case 117: return (long) sizeof (vision_msgs_msg_dds__Detection3D_);
    case 118: return (long) sizeof (vision_msgs_msg_dds__ObjectHypothesisWithPose_);
    case CBD_CONTROL_WORLD_REQUEST: return (long) sizeof (ros_gz_interfaces_srv_dds__ControlWorld_Request_);
    case CBD_CONTROL_WORLD_RESPONSE: return (long) sizeof (ros_gz_interfaces_srv_dds__ControlWorld_Response_);
    case 119: return (long) sizeof (ros_gz_interfaces_msg_dds__WorldControl_);
    case 112: return (long) sizeof (humble_rmw_dds_common_msg_dds__Gid_);
    case 113: return (long) sizeof (humble_rmw_dds_common_msg_dds__NodeEntitiesInfo_);
    case 110: return (long) sizeof (rmw_dds_common_msg_dds__Gid_);
    case 111: return (long) sizeof (rmw_dds_common_msg_dds__NodeEntitiesInfo_);
    case 103: return (long) sizeof (action_msgs_msg_dds__GoalStatus_);
    case 104: return (long) sizeof (action_msgs_msg_dds__GoalInfo_);
    case 105: return (long) sizeof (control_msgs_msg_dds__JointTolerance_);
    case 106: return (long) sizeof (control_msgs_msg_dds__JointComponentTolerance_);
    case 107: return (long) sizeof (control_msgs_action_dds__FollowJointTrajectory_Goal_);
    case 108: return (long) sizeof (trajectory_msgs_msg_dds__MultiDOFJointTrajectory_);
    case 109: return (long) sizeof (control_msgs_action_dds__FollowJointTrajectory_Feedback_);
    case 102: return (long) sizeof (trajectory_msgs_msg_dds__MultiDOFJointTrajectoryPoint_);
    case 100: return (long) sizeof (trajectory_msgs_msg_dds__JointTrajectoryPoint_);
    case 101: return (long) sizeof (dds_sample_info_t);
    default: return -1;
  }
}

API const char *cbd_type_name (int type)
{
  const dds_topic_descriptor_t *d = descriptor (type);
  return d ? d->m_typename : NULL;
}

API const char *cbd_strretcode (int rc) { return dds_strretcode (rc); }

/* Creates the domain with an explicit configuration (XML, as in CYCLONEDDS_URI) when config is not NULL; an already
 * existing domain in this process is reused. Returns the domain entity (0 when none was created) through *domain. */
API dds_entity_t cbd_participant (uint32_t domain_id, const char *config, const char *user_data, dds_entity_t *domain)
{
  *domain = 0;
  if (config != NULL && config[0] != 0) {
    dds_entity_t d = dds_create_domain (domain_id, config);
    if (d > 0) *domain = d;
    else if (d != DDS_RETCODE_PRECONDITION_NOT_MET) return d;
  }
  dds_qos_t *qos = dds_create_qos ();
  if (user_data != NULL) dds_qset_userdata (qos, user_data, strlen (user_data));
  dds_entity_t pp = dds_create_participant (domain_id, qos, NULL);
  dds_delete_qos (qos);
  return pp;
}

API dds_entity_t cbd_topic (dds_entity_t pp, int type, const char *name)
{
  const dds_topic_descriptor_t *d = descriptor (type);
  if (d == NULL) return DDS_RETCODE_BAD_PARAMETER;
  return dds_create_topic (pp, d, name, NULL, NULL);
}

/* ROS 2 QoS profiles as rmw_cyclonedds maps them: reliable or best effort, volatile (or transient local), keep last depth. */
static dds_qos_t *ros_qos (int reliable, int depth, int transient_local, const char *user_data)
{
  dds_qos_t *qos = dds_create_qos ();
  dds_qset_reliability (qos, reliable ? DDS_RELIABILITY_RELIABLE : DDS_RELIABILITY_BEST_EFFORT, DDS_INFINITY);
  dds_qset_durability (qos, transient_local ? DDS_DURABILITY_TRANSIENT_LOCAL : DDS_DURABILITY_VOLATILE);
  dds_qset_history (qos, DDS_HISTORY_KEEP_LAST, depth > 0 ? depth : 1);
  if (user_data != NULL) dds_qset_userdata (qos, user_data, strlen (user_data));
  return qos;
}

API dds_entity_t cbd_writer (dds_entity_t pp, dds_entity_t topic, int reliable, int depth, int transient_local, const char *user_data)
{
  dds_qos_t *qos = ros_qos (reliable, depth, transient_local, user_data);
  dds_entity_t w = dds_create_writer (pp, topic, qos, NULL);
  dds_delete_qos (qos);
  return w;
}

API dds_entity_t cbd_reader (dds_entity_t pp, dds_entity_t topic, int reliable, int depth, int transient_local, const char *user_data)
{
  dds_qos_t *qos = ros_qos (reliable, depth, transient_local, user_data);
  dds_entity_t r = dds_create_reader (pp, topic, qos, NULL);
  dds_delete_qos (qos);
  return r;
}

API int cbd_write (dds_entity_t writer, const void *sample) { return dds_write (writer, sample); }

/* Takes one sample on loan. Returns 1 with *sample set (valid data; give it back with cbd_return_loan), 0 when there
 * is nothing, 2 for an invalid sample (an instance state change: the writer left), or a negative DDS return code. */
API int cbd_take (dds_entity_t reader, void **sample, int64_t *source_timestamp)
{
  void *buf[1] = { NULL };
  dds_sample_info_t info;
  dds_return_t n = dds_take (reader, buf, &info, 1, 1);
  if (n < 0) return n;
  if (n == 0) { *sample = NULL; return 0; }
  if (!info.valid_data) {
    dds_return_loan (reader, buf, n);
    *sample = NULL;
    return 2;
  }
  *sample = buf[0];
  *source_timestamp = info.source_timestamp;
  return 1;
}

/* Calls fn (reader, arg) on DDS's own thread when reader has data (its DATA_AVAILABLE listener: the thread that
 * delivers the sample, Cyclone's receive thread for a remote writer, or a local writer's thread inside its write), so
 * a sample needs no wake-up of a thread of ours. Calls for one reader never overlap. fn NULL removes the listener,
 * after waiting for a call in progress. */
API int cbd_set_data_listener (dds_entity_t reader, dds_on_data_available_fn fn, void *arg)
{
  if (fn == NULL) return dds_set_listener (reader, NULL);
  dds_listener_t *l = dds_create_listener (NULL);
  if (l == NULL) return DDS_RETCODE_OUT_OF_RESOURCES;
  dds_lset_data_available_arg (l, fn, arg, true);
  dds_return_t rc = dds_set_listener (reader, l);
  dds_delete_listener (l);
  return rc;
}

API int cbd_return_loan (dds_entity_t reader, void *sample)
{
  void *buf[1] = { sample };
  return dds_return_loan (reader, buf, 1);
}

/* Takes one sample as its serialized form (CDR with the 4-byte encapsulation header), copied into buf. Returns its
 * size (which may exceed cap: then only cap bytes were copied), 0 when there is nothing, or a negative return code. */
API long cbd_take_cdr (dds_entity_t reader, unsigned char *buf, long cap)
{
  struct ddsi_serdata *sd[1] = { NULL };
  dds_sample_info_t info;
  dds_return_t n = dds_takecdr (reader, sd, 1, &info, DDS_ANY_STATE);
  if (n <= 0) return n;
  long size = (long) ddsi_serdata_size (sd[0]);
  if (info.valid_data) ddsi_serdata_to_ser (sd[0], 0, (size_t) (size < cap ? size : cap), buf);
  else size = 0;
  ddsi_serdata_unref (sd[0]);
  return size;
}

API dds_entity_t cbd_waitset (dds_entity_t pp, dds_entity_t reader)
{
  dds_entity_t ws = dds_create_waitset (pp);
  if (ws < 0) return ws;
  dds_entity_t rc = dds_create_readcondition (reader, DDS_ANY_STATE);
  if (rc < 0) { dds_delete (ws); return rc; }
  dds_return_t r = dds_waitset_attach (ws, rc, reader);
  if (r < 0) { dds_delete (rc); dds_delete (ws); return r; }
  return ws;
}

API int cbd_waitset_attach_reader (dds_entity_t ws, dds_entity_t reader)
{
  dds_entity_t rc = dds_create_readcondition (reader, DDS_ANY_STATE);
  if (rc < 0) return rc;
  return dds_waitset_attach (ws, rc, reader);
}

/* Blocks until data arrives, the waitset is woken, or timeout_ns passes. Returns the number of triggered entities. */
API int cbd_wait (dds_entity_t ws, int64_t timeout_ns) { return dds_waitset_wait (ws, NULL, 0, timeout_ns); }

API int cbd_wake (dds_entity_t ws) { return dds_waitset_set_trigger (ws, true); }

/* `bench ros2`'s echo peer in plain C: takes every sample from reader (its waitset ws) and writes it on writer until
 * *stop is non-zero (set it, then wake ws). It never enters managed code, so it does what ddsperf's pong does (waitset,
 * take, write) and the benchmark can compare our link against a peer of the same kind. Returns the number of samples
 * echoed, or a negative return code. */
API long cbd_echo (dds_entity_t ws, dds_entity_t reader, dds_entity_t writer, volatile const int32_t *stop)
{
  long echoed = 0;
  while (!*stop) {
    dds_return_t n = dds_waitset_wait (ws, NULL, 0, DDS_MSECS (100));
    if (n < 0) return n;
    void *buf[1] = { NULL };
    dds_sample_info_t info;
    while (!*stop && dds_take (reader, buf, &info, 1, 1) == 1) {
      if (info.valid_data && dds_write (writer, buf[0]) == DDS_RETCODE_OK) echoed++;
      dds_return_loan (reader, buf, 1);
    }
  }
  return echoed;
}

/* Current number of matched remote endpoints of a writer (publication) or reader (subscription). */
API int cbd_matched (dds_entity_t entity, int is_writer)
{
  if (is_writer) {
    dds_publication_matched_status_t s;
    dds_return_t r = dds_get_publication_matched_status (entity, &s);
    return r < 0 ? r : (int) s.current_count;
  } else {
    dds_subscription_matched_status_t s;
    dds_return_t r = dds_get_subscription_matched_status (entity, &s);
    return r < 0 ? r : (int) s.current_count;
  }
}

/* The entity's DDS GUID (16 bytes: 12-byte GUID prefix, 4-byte entity id), which rmw_cyclonedds copies into a ROS 2 GID
 * (zero-padded when the GID is longer). */
API int cbd_guid (dds_entity_t entity, uint8_t guid[16])
{
  dds_guid_t g;
  dds_return_t r = dds_get_guid (entity, &g);
  if (r < 0) return r;
  memcpy (guid, g.v, sizeof (g.v));
  return 0;
}

/* A reader of the builtin DCPSParticipant topic: every participant discovered on the domain, this process's included. */
API dds_entity_t cbd_participant_reader (dds_entity_t pp) { return dds_create_reader (pp, DDS_BUILTIN_TOPIC_DCPSPARTICIPANT, NULL, NULL); }

/* Takes the discovered participants' GUIDs (dds_builtintopic_participant_t.key: 16 bytes each, the 12-byte GUID prefix
 * first, whose first two bytes are the vendor id by the RTPS spec's recommendation) into guids, at most cap of them.
 * Returns how many, or a negative return code. */
API int cbd_take_participants (dds_entity_t reader, uint8_t *guids, int cap)
{
  int got = 0;
  while (got < cap) {
    void *buf[16] = { NULL };
    dds_sample_info_t info[16];
    int want = cap - got < 16 ? cap - got : 16;
    dds_return_t n = dds_take (reader, buf, info, (size_t) want, (uint32_t) want);
    if (n < 0) return n;
    if (n == 0) break;
    for (int i = 0; i < n; i++)
      if (info[i].valid_data) memcpy (guids + 16 * got++, ((const dds_builtintopic_participant_t *) buf[i])->key.v, 16);
    dds_return_loan (reader, buf, n);
  }
  return got;
}

API int cbd_delete (dds_entity_t entity) { return dds_delete (entity); }
