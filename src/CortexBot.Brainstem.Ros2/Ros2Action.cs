using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CortexBot.Brainstem.Ros2;

/// <summary>action_msgs/GoalStatus status values.</summary>
public static class GoalStatusCode
{
    public const sbyte Unknown = 0, Accepted = 1, Executing = 2, Canceling = 3, Succeeded = 4, Canceled = 5, Aborted = 6;

    public static string Name(int status) => status switch
    {
        Accepted => "ACCEPTED",
        Executing => "EXECUTING",
        Canceling => "CANCELING",
        Succeeded => "SUCCEEDED",
        Canceled => "CANCELED",
        Aborted => "ABORTED",
        _ => "UNKNOWN",
    };
}

/// <summary>control_msgs/action/FollowJointTrajectory result error codes.</summary>
public static class FollowJointTrajectoryError
{
    public const int Successful = 0, InvalidGoal = -1, InvalidJoints = -2, OldHeaderTimestamp = -3, PathToleranceViolated = -4, GoalToleranceViolated = -5;

    public static string Name(int code) => code switch
    {
        Successful => "SUCCESSFUL",
        InvalidGoal => "INVALID_GOAL",
        InvalidJoints => "INVALID_JOINTS",
        OldHeaderTimestamp => "OLD_HEADER_TIMESTAMP",
        PathToleranceViolated => "PATH_TOLERANCE_VIOLATED",
        GoalToleranceViolated => "GOAL_TOLERANCE_VIOLATED",
        _ => code.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>action_msgs/srv/CancelGoal return codes.</summary>
public static class CancelReturnCode
{
    public const sbyte None = 0, Rejected = 1, UnknownGoalId = 2, GoalTerminated = 3;
}

/// <summary>
/// The DDS topics of a ROS 2 action <c>/ns/name</c> as rmw_cyclonedds names them: the services
/// <c>rq/ns/name/_action/send_goalRequest</c> / <c>rr/.../send_goalReply</c> (and cancel_goal, get_result), the topics
/// <c>rt/ns/name/_action/feedback</c> and <c>rt/ns/name/_action/status</c>.
/// </summary>
public sealed record RosActionTopics(string Name)
{
    public string SendGoalRequest => Service("send_goal", "rq", "Request");
    public string SendGoalReply => Service("send_goal", "rr", "Reply");
    public string CancelGoalRequest => Service("cancel_goal", "rq", "Request");
    public string CancelGoalReply => Service("cancel_goal", "rr", "Reply");
    public string GetResultRequest => Service("get_result", "rq", "Request");
    public string GetResultReply => Service("get_result", "rr", "Reply");
    public string Feedback => DdsParticipant.DdsTopicName(Name + "/_action/feedback");
    public string Status => DdsParticipant.DdsTopicName(Name + "/_action/status");

    private string Service(string service, string prefix, string suffix) =>
        prefix + DdsParticipant.DdsTopicName(Name + "/_action/" + service)[2..] + suffix;

    /// <summary>rclcpp's service QoS (rmw_qos_profile_services_default): RELIABLE, VOLATILE, KEEP_LAST 10.</summary>
    public static RosQos ServiceQos => new(true, 10);
    /// <summary>rcl_action's status QoS: RELIABLE, TRANSIENT_LOCAL, KEEP_LAST 1 (a late joiner gets the latest status).</summary>
    public static RosQos StatusQos => new(true, 1, TransientLocal: true);

    /// <summary>
    /// USER_DATA pairing a service's request and reply endpoints the way rmw_cyclonedds does (<c>clientid=ID;</c> on a
    /// client's request writer and reply reader, <c>serviceid=ID;</c> on a server's): a ROS 2 server answers a client
    /// only once it has matched that client's reply reader, and a ROS 2 client finds a server available by the pair.
    /// </summary>
    public static string PairingUserData(bool server)
    {
        Span<byte> id = stackalloc byte[16];
        RandomNumberGenerator.Fill(id);
        var sb = new StringBuilder(server ? "serviceid=" : "clientid=");
        for (int i = 0; i < id.Length; i++)
        {
            if (i > 0) sb.Append('.');
            sb.Append(id[i].ToString("x", CultureInfo.InvariantCulture));
        }
        return sb.Append(';').ToString();
    }
}
