using System.Diagnostics;
using System.Globalization;
using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// CortexBot's processes in the ROS 2 graph: the plain C peer reads ros_discovery_info as `ros2 node list` would and
/// checks each node's reader and writer GIDs against the endpoints DDS discovery itself reports for that participant.
/// </summary>
public sealed class GraphTests
{
    [Fact]
    public void The_sim_node_and_a_run_are_ros2_nodes_listing_their_real_endpoints()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "ros2_peer");
        Assert.True(File.Exists(exe), "ros2_peer is built with this test project");
        int d = TestBus.NewDomain();
        var memory = Path.Combine(Path.GetTempPath(), $"cortexbot-ros2-graph-{Guid.NewGuid():N}.db");
        using var node = TestBus.StartCli($"sim serve --ros-domain {d} --ros-loopback --no-camera --duration 90");
        var nodeErr = node.StandardError.ReadToEndAsync();
        using var run = TestBus.StartCli($"run --robot ros2 --node-name cortexbot_arm --ros-domain {d} --ros-loopback --stale-ms 250 " +
            $"--task \"put the red cube in the bin\" --seed 1 --json --memory \"{memory}\"");
        var runErr = run.StandardError.ReadToEndAsync();
        var runOut = run.StandardOutput.ReadToEndAsync();
        try
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { d.ToString(CultureInfo.InvariantCulture), "60", "-", "graph", "cortexbot_sim", "cortexbot_arm" }) psi.ArgumentList.Add(a);
            using var peer = Process.Start(psi)!;
            var err = peer.StandardError.ReadToEndAsync();
            var output = peer.StandardOutput.ReadToEnd();
            Assert.True(peer.WaitForExit(TimeSpan.FromSeconds(90)), "the peer exits");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            string diag = $"peer: {output} {err.Result}";
            Assert.True(lines.Length == 2, diag);
            foreach (var (line, name) in lines.Zip(new[] { "cortexbot_sim", "cortexbot_arm" }))
            {
                var n = TestBus.ParseNode(line);
                Assert.True(n["node"] == name && n["found"] == "1", diag);
                Assert.Equal("/", n["ns"]);
                Assert.True(n["enclave"] == "1", $"participant USER_DATA enclave=/; ({diag})");
                Assert.True(n["unmatched"] == "0", $"every listed GID is a real endpoint of the node's participant ({diag})");
                Assert.True(n["unlisted"] == "0", $"every endpoint of the participant is listed ({diag})");
                // DDS enum values: RELIABLE 1, TRANSIENT_LOCAL 1, KEEP_LAST 0, depth 1 (rmw_cyclonedds' ros_discovery_info writer)
                Assert.Equal("1 1 0 1", n["infoqos"]);
            }
            var sim = TestBus.ParseNode(lines[0]);
            var arm = TestBus.ParseNode(lines[1]);
            Assert.Contains("rt/joint_states,", sim["topics"], StringComparison.Ordinal);
            // the type hash as rmw_cyclonedds announces it, seen by the peer in DDS discovery (value from ROS 2's generated code)
            Assert.Equal("typehash=RIHS01_a13ee3a330e346c9d87b5aa18d24e11690752bd33a0350f11c5882bc9179260e;", sim["jsuserdata"]);
            Assert.Contains("rt/joint_trajectory_controller/controller_state,", sim["topics"], StringComparison.Ordinal);
            Assert.Contains("rt/cortexbot/status,", arm["topics"], StringComparison.Ordinal);
            Assert.Contains("rt/joint_trajectory_controller/joint_trajectory,", arm["topics"], StringComparison.Ordinal);
            Assert.DoesNotContain("rt/joint_states,", arm["topics"], StringComparison.Ordinal); // the run reads joint states, it does not write them
            Assert.True(int.Parse(arm["readers"], CultureInfo.InvariantCulture) >= 2, diag); // joint states, emergency stop, ..
        }
        finally
        {
            foreach (var p in new[] { run, node })
            {
                if (!p.HasExited) p.Kill();
                p.WaitForExit();
            }
            foreach (var f in new[] { memory, memory + "-wal", memory + "-shm" }) if (File.Exists(f)) File.Delete(f);
        }
    }

    [Fact]
    public void The_peer_catches_a_node_listing_a_wrong_gid_or_leaving_an_endpoint_out()
    {
        // A lying node as a test double: its list names the participant's own GUID as a writer (no such endpoint) and
        // leaves out a writer it really has; the peer must report both, so the real nodes' zeros above mean something.
        var exe = Path.Combine(AppContext.BaseDirectory, "ros2_peer");
        int d = TestBus.NewDomain();
        using var dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
        int info = dds.DdsWriter(RosType.ParticipantEntitiesInfo, Ros2GraphEntry.Topic, new RosQos(true, 1, TransientLocal: true), null);
        var entry = new Ros2GraphEntry(dds.Handle, info, "liar", "/");
        int listed = dds.Writer(RosType.JointState, "/liar/listed", RosQos.Default);
        entry.AddWriter(listed);
        entry.AddWriter(dds.Handle);
        dds.Writer(RosType.JointState, "/liar/unlisted", RosQos.Default);
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { d.ToString(CultureInfo.InvariantCulture), "3", "-", "graph", "liar" }) psi.ArgumentList.Add(a);
        using var peer = Process.Start(psi)!;
        var output = peer.StandardOutput.ReadToEnd();
        Assert.True(peer.WaitForExit(TimeSpan.FromSeconds(30)), "the peer exits");
        var n = TestBus.ParseNode(output.Trim());
        Assert.True(n["found"] == "1" && n["writers"] == "2", output);
        Assert.Equal("1", n["unmatched"]);
        Assert.Equal("1", n["unlisted"]);
        Assert.Equal("rt/liar/listed,", n["topics"]);
    }

    // Expected values: the hashes rosidl generated into ROS 2's own C type support (`*__get_type_hash`, `*__TYPE_HASH`),
    // e.g. sensor_msgs/msg/detail/joint_state__description.c.
    [Theory]
    [InlineData("builtin_interfaces/msg/Time", "b106235e25a4c5ed35098aa0a61a3ee9c9b18d197f398b0e4206cea9acf9c197")]
    [InlineData("std_msgs/msg/Header", "f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01")]
    [InlineData("sensor_msgs/msg/JointState", "a13ee3a330e346c9d87b5aa18d24e11690752bd33a0350f11c5882bc9179260e")]
    [InlineData("std_msgs/msg/Bool", "feb91e995ff9ebd09c0cb3d2aed18b11077585839fb5db80193b62d74528f6c9")]
    [InlineData("std_msgs/msg/Float64MultiArray", "1025ddc6b9552d191f89ef1a8d2f60f3d373e28b283d8891ddcc974e8c55397f")]
    [InlineData("sensor_msgs/msg/Image", "d31d41a9a4c4bc8eae9be757b0beed306564f7526c88ea6a4588fb9582527d47")]
    [InlineData("trajectory_msgs/msg/JointTrajectory", "179b33eba59d676f6d967ac71fe35e7ca2f64b2f3928f4a018cec115e213796e")]
    // diagnostic_msgs/msg/detail/diagnostic_array__description.c
    [InlineData("std_msgs/msg/String", "df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18")]
    [InlineData("geometry_msgs/msg/TransformStamped", "0a241f87d04668d94099cbb5ba11691d5ad32c2f29682e4eb5653424bd275206")]
    [InlineData("tf2_msgs/msg/TFMessage", "e369d0f05a23ae52508854b66f6aa0437f3449d652e8cbf22d5abe85d020f087")]
    [InlineData("diagnostic_msgs/msg/KeyValue", "d68081eaa540288c5440753baecef0c4e16e81a5f78ad68902ded5100413bb42")]
    [InlineData("diagnostic_msgs/msg/DiagnosticStatus", "b0e3e692ea2d54a8af2f4ef1930e81556a2db55216b771f8a7d2724ed47bf0e4")]
    [InlineData("diagnostic_msgs/msg/DiagnosticArray", "5a8a36efb05fb25070fa0fb3810290c0e6cd4862b54a8fb975a1ee8dc55a333e")]
    // vision_msgs/msg/detail/detection3_d_array__description.c (vision_msgs 4.x; the referenced types' EXPECTED_HASHes there)
    [InlineData("geometry_msgs/msg/Point", "6963084842a9b04494d6b2941d11444708d892da2f4b09843b9c43f42a7f6881")]
    [InlineData("geometry_msgs/msg/Quaternion", "8a765f66778c8ff7c8ab94afcc590a2ed5325a1d9a076ffff38fbce36f458684")]
    [InlineData("geometry_msgs/msg/Vector3", "cc12fe83e4c02719f1ce8070bfd14aecd40f75a96696a67a2a1f37f7dbb0765d")]
    [InlineData("geometry_msgs/msg/Pose", "d501954e9476cea2996984e812054b68026ae0bfae789d9a10b23daf35cc90fa")]
    [InlineData("geometry_msgs/msg/PoseWithCovariance", "9a7c0fd234b7f45c6098745ecccd773ca1085670e64107135397aee31c02e1bb")]
    [InlineData("vision_msgs/msg/ObjectHypothesis", "51da43cec11c01957a64d1e05a24acd18aae7745ec30b74348ad5f6d634f7f90")]
    [InlineData("vision_msgs/msg/ObjectHypothesisWithPose", "41c12344c0396c48b81df12467c192d99b2a0eb1463c5c37194e4223251c80bc")]
    [InlineData("vision_msgs/msg/BoundingBox3D", "bbb73a65c163d7f9bb29009c7bde9f7faa576bd2d23299c4511d19230dab4698")]
    [InlineData("vision_msgs/msg/Detection3D", "ddd703be132ab0b69d33121f1bb034132bfbb3b0ac5f9fb1516005ba1c8a265b")]
    [InlineData("vision_msgs/msg/Detection3DArray", "793f5eab9595ac1c0da07873cc859db42eae51f0ee76056db8562515d830e018")]
    public void Type_hashes_match_those_ros2_generates(string type, string hex) => Assert.Equal("RIHS01_" + hex, RosTypeHash.Of(type));

    [Fact]
    public void Endpoint_user_data_carries_the_type_hash_only_for_hashed_types()
    {
        Assert.Equal("typehash=RIHS01_feb91e995ff9ebd09c0cb3d2aed18b11077585839fb5db80193b62d74528f6c9;", RosTypeHash.UserData(RosType.Bool));
        Assert.Null(RosTypeHash.UserData(RosType.SceneStatus));
        Assert.Null(RosTypeHash.UserData(RosType.ControllerState));
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("9lives", "must not start with a digit")]
    [InlineData("my-node", "'-' at position 2")]
    [InlineData("/cortexbot", "'/' at position 0")]
    [InlineData("robot arm", "' ' at position 5")]
    public void Bad_node_names_are_refused_with_the_reason(string name, string reason)
    {
        var e = Assert.Throws<ConfigurationException>(() => RosNames.ValidateNodeName(name));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains("--node-name", e.Message, StringComparison.Ordinal);
        Assert.Throws<ConfigurationException>(() => (TestBus.Options(TestBus.NewDomain()) with { NodeName = name }).Validate());
    }

    [Fact]
    public void Node_name_rules_accept_ros2_names_and_bound_the_length()
    {
        Assert.Equal("cortexbot_sim", RosNames.ValidateNodeName("cortexbot_sim"));
        Assert.Equal("_hidden2", RosNames.ValidateNodeName("_hidden2"));
        Assert.Equal(new string('a', 255), RosNames.ValidateNodeName(new string('a', 255)));
        Assert.Throws<ConfigurationException>(() => RosNames.ValidateNodeName(new string('a', 256)));
        Assert.Equal("/robots/left", RosNames.ValidateNamespace("/robots/left"));
        Assert.Throws<ConfigurationException>(() => RosNames.ValidateNamespace("robots"));
        Assert.Throws<ConfigurationException>(() => RosNames.ValidateNamespace("/robots/"));
        Assert.Throws<ConfigurationException>(() => new DdsParticipant(TestBus.NewDomain(), DdsParticipant.LoopbackConfig(), "1st"));
    }

    [Fact]
    public void The_cli_refuses_a_bad_node_name_naming_the_flag()
    {
        foreach (var args in new[] { "sim serve --ros-loopback --no-camera --duration 0.2 --node-name my-sim",
                     "run --robot ros2 --ros-loopback --node-name 2arm --task \"put the red cube in the bin\" --json" })
        {
            using var p = TestBus.StartCli(args);
            var err = p.StandardError.ReadToEndAsync();
            var outp = p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)), "cortexbot exits");
            Assert.NotEqual(0, p.ExitCode);
            Assert.Contains("--node-name", err.Result + outp.Result, StringComparison.Ordinal);
            Assert.Contains("is not a valid ROS 2 node name", err.Result + outp.Result, StringComparison.Ordinal);
        }
    }
}
