using System.Security.Cryptography;
using System.Text;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// ROS 2 type hashes (REP-2016, RIHS01) of the standard messages CortexBot speaks, announced as the endpoint USER_DATA
/// <c>typehash=RIHS01_&lt;hex&gt;;</c> as rmw_cyclonedds does from Iron on (introspection only; matching is by topic and type
/// name). The hash is SHA-256 over rosidl_generator_type_description's JSON of the type and of every type it references
/// (sorted by name), default values left out, with Python's <c>json.dumps</c> separators <c>", "</c> and <c>": "</c>.
/// </summary>
public static class RosTypeHash
{
    // type_description_interfaces/msg/FieldType ids
    private const int Nested = 1, Uint8 = 3, Int32 = 6, Uint32 = 7, Double = 11, Boolean = 15, Byte = 16, String = 17;
    private const int DoubleArray = 59; // a fixed-size array (its length is the capacity)
    private const int NestedSequence = 145, Uint8Sequence = 147, DoubleSequence = 155, StringSequence = 161;

    private readonly record struct Field(string Name, int TypeId, string NestedType = "", int Capacity = 0);

    // Jazzy's definitions (field order as in the .msg files)
    private static readonly Dictionary<string, Field[]> Types = new(StringComparer.Ordinal)
    {
        ["builtin_interfaces/msg/Time"] = [new("sec", Int32), new("nanosec", Uint32)],
        ["builtin_interfaces/msg/Duration"] = [new("sec", Int32), new("nanosec", Uint32)],
        ["std_msgs/msg/Header"] = [new("stamp", Nested, "builtin_interfaces/msg/Time"), new("frame_id", String)],
        ["std_msgs/msg/Bool"] = [new("data", Boolean)],
        ["std_msgs/msg/MultiArrayDimension"] = [new("label", String), new("size", Uint32), new("stride", Uint32)],
        ["std_msgs/msg/MultiArrayLayout"] = [new("dim", NestedSequence, "std_msgs/msg/MultiArrayDimension"), new("data_offset", Uint32)],
        ["std_msgs/msg/Float64MultiArray"] = [new("layout", Nested, "std_msgs/msg/MultiArrayLayout"), new("data", DoubleSequence)],
        ["sensor_msgs/msg/JointState"] =
        [
            new("header", Nested, "std_msgs/msg/Header"), new("name", StringSequence), new("position", DoubleSequence),
            new("velocity", DoubleSequence), new("effort", DoubleSequence),
        ],
        ["sensor_msgs/msg/Image"] =
        [
            new("header", Nested, "std_msgs/msg/Header"), new("height", Uint32), new("width", Uint32), new("encoding", String),
            new("is_bigendian", Uint8), new("step", Uint32), new("data", Uint8Sequence),
        ],
        ["trajectory_msgs/msg/JointTrajectoryPoint"] =
        [
            new("positions", DoubleSequence), new("velocities", DoubleSequence), new("accelerations", DoubleSequence),
            new("effort", DoubleSequence), new("time_from_start", Nested, "builtin_interfaces/msg/Duration"),
        ],
        ["trajectory_msgs/msg/JointTrajectory"] =
        [
            new("header", Nested, "std_msgs/msg/Header"), new("joint_names", StringSequence),
            new("points", NestedSequence, "trajectory_msgs/msg/JointTrajectoryPoint"),
        ],
        ["std_msgs/msg/String"] = [new("data", String)],
        ["geometry_msgs/msg/Vector3"] = [new("x", Double), new("y", Double), new("z", Double)],
        ["geometry_msgs/msg/Quaternion"] = [new("x", Double), new("y", Double), new("z", Double), new("w", Double)],
        ["geometry_msgs/msg/Transform"] =
            [new("translation", Nested, "geometry_msgs/msg/Vector3"), new("rotation", Nested, "geometry_msgs/msg/Quaternion")],
        ["geometry_msgs/msg/TransformStamped"] =
        [
            new("header", Nested, "std_msgs/msg/Header"), new("child_frame_id", String),
            new("transform", Nested, "geometry_msgs/msg/Transform"),
        ],
        ["tf2_msgs/msg/TFMessage"] = [new("transforms", NestedSequence, "geometry_msgs/msg/TransformStamped")],
        ["diagnostic_msgs/msg/KeyValue"] = [new("key", String), new("value", String)],
        ["diagnostic_msgs/msg/DiagnosticStatus"] =
        [
            new("level", Byte), new("name", String), new("message", String), new("hardware_id", String),
            new("values", NestedSequence, "diagnostic_msgs/msg/KeyValue"),
        ],
        ["diagnostic_msgs/msg/DiagnosticArray"] =
            [new("header", Nested, "std_msgs/msg/Header"), new("status", NestedSequence, "diagnostic_msgs/msg/DiagnosticStatus")],
        // vision_msgs 4.x (the same in Humble and Jazzy)
        ["geometry_msgs/msg/Point"] = [new("x", Double), new("y", Double), new("z", Double)],
        ["geometry_msgs/msg/Pose"] =
            [new("position", Nested, "geometry_msgs/msg/Point"), new("orientation", Nested, "geometry_msgs/msg/Quaternion")],
        ["geometry_msgs/msg/PoseWithCovariance"] =
            [new("pose", Nested, "geometry_msgs/msg/Pose"), new("covariance", DoubleArray, Capacity: 36)],
        ["vision_msgs/msg/ObjectHypothesis"] = [new("class_id", String), new("score", Double)],
        ["vision_msgs/msg/ObjectHypothesisWithPose"] =
        [
            new("hypothesis", Nested, "vision_msgs/msg/ObjectHypothesis"),
            new("pose", Nested, "geometry_msgs/msg/PoseWithCovariance"),
        ],
        ["vision_msgs/msg/BoundingBox3D"] =
            [new("center", Nested, "geometry_msgs/msg/Pose"), new("size", Nested, "geometry_msgs/msg/Vector3")],
        ["vision_msgs/msg/Detection3D"] =
        [
            new("header", Nested, "std_msgs/msg/Header"), new("results", NestedSequence, "vision_msgs/msg/ObjectHypothesisWithPose"),
            new("bbox", Nested, "vision_msgs/msg/BoundingBox3D"), new("id", String),
        ],
        ["vision_msgs/msg/Detection3DArray"] =
            [new("header", Nested, "std_msgs/msg/Header"), new("detections", NestedSequence, "vision_msgs/msg/Detection3D")],
    };

    /// <summary>The ROS 2 type name (<c>pkg/msg/Type</c>) of the shim's types that have a hash here; others announce none
    /// (CortexBot's own messages, and those whose definition differs between distributions, e.g. control_msgs').</summary>
    private static string? RosTypeName(RosType type) => type switch
    {
        RosType.JointState => "sensor_msgs/msg/JointState",
        RosType.JointTrajectory => "trajectory_msgs/msg/JointTrajectory",
        RosType.Float64MultiArray => "std_msgs/msg/Float64MultiArray",
        RosType.Bool => "std_msgs/msg/Bool",
        RosType.Image => "sensor_msgs/msg/Image",
        RosType.DiagnosticArray => "diagnostic_msgs/msg/DiagnosticArray",
        RosType.String => "std_msgs/msg/String",
        RosType.TfMessage => "tf2_msgs/msg/TFMessage",
        RosType.Detection3DArray => "vision_msgs/msg/Detection3DArray",
        _ => null,
    };

    private static readonly Dictionary<string, string> Cache = new(StringComparer.Ordinal);

    /// <summary>RIHS01_&lt;64 hex&gt; of a type named here (e.g. <c>std_msgs/msg/Header</c>).</summary>
    public static string Of(string rosTypeName)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(rosTypeName, out var h)) return h;
            if (!Types.ContainsKey(rosTypeName)) throw new ArgumentException($"no type description for {rosTypeName}", nameof(rosTypeName));
            var refs = new SortedSet<string>(StringComparer.Ordinal);
            var queue = new Stack<string>(Types[rosTypeName].Where(f => f.NestedType.Length > 0).Select(f => f.NestedType));
            while (queue.Count > 0)
            {
                var t = queue.Pop();
                if (refs.Add(t))
                    foreach (var f in Types[t])
                        if (f.NestedType.Length > 0) queue.Push(f.NestedType);
            }
            var json = new StringBuilder("{\"type_description\": ");
            Describe(json, rosTypeName);
            json.Append(", \"referenced_type_descriptions\": [");
            bool first = true;
            foreach (var r in refs)
            {
                if (!first) json.Append(", ");
                first = false;
                Describe(json, r);
            }
            json.Append("]}");
            h = "RIHS01_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json.ToString())));
            Cache[rosTypeName] = h;
            return h;
        }
    }

    /// <summary>The endpoint USER_DATA rmw_cyclonedds announces for a type, or null when it has no hash here.</summary>
    public static string? UserData(RosType type) => RosTypeName(type) is { } name ? $"typehash={Of(name)};" : null;

    private static void Describe(StringBuilder json, string name)
    {
        // names are plain ASCII identifiers: nothing to escape
        json.Append("{\"type_name\": \"").Append(name).Append("\", \"fields\": [");
        var fields = Types[name];
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) json.Append(", ");
            json.Append("{\"name\": \"").Append(fields[i].Name).Append("\", \"type\": {\"type_id\": ").Append(fields[i].TypeId)
                .Append(", \"capacity\": ").Append(fields[i].Capacity).Append(", \"string_capacity\": 0, \"nested_type_name\": \"").Append(fields[i].NestedType).Append("\"}}");
        }
        json.Append("]}");
    }
}
