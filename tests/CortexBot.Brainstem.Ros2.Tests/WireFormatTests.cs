namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>ROS 2's naming and the CDR bytes Cyclone puts on the wire for our generated types, against hand-computed bytes.</summary>
public sealed unsafe class WireFormatTests
{
    [Theory]
    [InlineData("/joint_states", "rt/joint_states")]
    [InlineData("joint_states", "rt/joint_states")]
    [InlineData("/joint_trajectory_controller/joint_trajectory", "rt/joint_trajectory_controller/joint_trajectory")]
    public void Ros_topic_names_map_to_rt_prefixed_dds_topics(string ros, string dds) =>
        Assert.Equal(dds, DdsParticipant.DdsTopicName(ros));

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/a//b")]
    [InlineData("/a/")]
    [InlineData("/a b")]
    [InlineData("~/commands")]
    [InlineData("/jöint")]
    public void Invalid_topic_names_are_clear_errors(string ros) =>
        Assert.Throws<CortexBot.Core.ConfigurationException>(() => DdsParticipant.DdsTopicName(ros));

    [Theory]
    [InlineData(RosType.JointState, "sensor_msgs::msg::dds_::JointState_")]
    [InlineData(RosType.JointTrajectory, "trajectory_msgs::msg::dds_::JointTrajectory_")]
    [InlineData(RosType.Float64MultiArray, "std_msgs::msg::dds_::Float64MultiArray_")]
    [InlineData(RosType.Bool, "std_msgs::msg::dds_::Bool_")]
    [InlineData(RosType.Image, "sensor_msgs::msg::dds_::Image_")]
    [InlineData(RosType.ControllerState, "control_msgs::msg::dds_::JointTrajectoryControllerState_")]
    public void Dds_type_names_follow_ros2_layout(RosType type, string name) => Assert.Equal(name, DdsParticipant.TypeName(type));

    [Fact]
    public void Csharp_struct_mirrors_match_the_generated_c_layouts() => DdsParticipant.CheckLayouts();

    private static byte[] RoundTrip(RosType type, string topic, void* sample)
    {
        using var dds = new DdsParticipant(TestBus.NewDomain(), DdsParticipant.LoopbackConfig());
        int r = dds.Reader(type, topic, RosQos.Default);
        int w = dds.Writer(type, topic, RosQos.Default);
        Assert.True(Native.Write(w, sample) >= 0);
        var buf = new byte[4096];
        long n = 0;
        TestBus.WaitUntil(() =>
        {
            fixed (byte* b = buf) n = Native.TakeCdr(r, b, buf.Length);
            return n != 0;
        }, "the sample");
        Assert.True(n > 0, $"take_cdr failed: {n}");
        return buf[..(int)n];
    }

    [Fact]
    public void JointState_is_xcdr1_little_endian_with_8_byte_aligned_doubles()
    {
        using var mem = new NativeStrings();
        var pos = mem.Alloc<double>(1);
        pos[0] = 1.5;
        JointStateMsg m = default;
        m.Header.Stamp = new RosTime { Sec = 1, Nanosec = 2 };
        m.Header.FrameId = mem.Add("a");
        m.Name = DdsSequence.Of(mem.AddArray(["j1"]), 1);
        m.Position = DdsSequence.Of(pos, 1);
        var bytes = RoundTrip(RosType.JointState, "/joint_states", &m);
        byte[] expected =
        [
            0x00, 0x01, 0x00, 0x00,             // encapsulation: CDR_LE (XCDR1), options 0
            1, 0, 0, 0, 2, 0, 0, 0,             // header.stamp: sec 1, nanosec 2
            2, 0, 0, 0, (byte)'a', 0, 0, 0,     // header.frame_id "a" (length with NUL) + 2 pad
            1, 0, 0, 0,                         // name: 1 string
            3, 0, 0, 0, (byte)'j', (byte)'1', 0, 0, // "j1" + 1 pad (next is a uint32)
            1, 0, 0, 0,                         // position: 1 double; offset 32 is 8-aligned, no pad
            0, 0, 0, 0, 0, 0, 0xF8, 0x3F,       // 1.5
            0, 0, 0, 0,                         // velocity: empty
            0, 0, 0, 0,                         // effort: empty
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Image_puts_is_bigendian_as_one_byte_before_a_4_aligned_step()
    {
        using var mem = new NativeStrings();
        var data = mem.Alloc<byte>(6);
        for (int i = 0; i < 6; i++) data[i] = (byte)(0x10 * (i + 1));
        ImageMsg m = default;
        m.Header.Stamp = new RosTime { Sec = 1, Nanosec = 2 };
        m.Header.FrameId = mem.Add("c");
        m.Height = 1;
        m.Width = 2;
        m.Encoding = mem.Add("rgb8");
        m.Step = 6;
        m.Data = DdsSequence.Of(data, 6);
        var bytes = RoundTrip(RosType.Image, "/camera/image_raw", &m);
        byte[] expected =
        [
            0x00, 0x01, 0x00, 0x02,             // encapsulation: CDR_LE (XCDR1); options: the last 2 bytes are padding
            1, 0, 0, 0, 2, 0, 0, 0,             // header.stamp
            2, 0, 0, 0, (byte)'c', 0, 0, 0,     // header.frame_id "c" + 2 pad
            1, 0, 0, 0,                         // height
            2, 0, 0, 0,                         // width
            5, 0, 0, 0, (byte)'r', (byte)'g', (byte)'b', (byte)'8', 0, // encoding "rgb8"
            0,                                  // is_bigendian (uint8, offset 33)
            0, 0,                               // pad to 36
            6, 0, 0, 0,                         // step
            6, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, // data: 6 bytes
            0, 0,                               // padding to a 4-byte multiple
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Float64MultiArray_aligns_the_data_after_the_layout()
    {
        using var mem = new NativeStrings();
        var data = mem.Alloc<double>(2);
        data[0] = 1.0;
        data[1] = -2.0;
        Float64MultiArrayMsg m = default;
        m.Data = DdsSequence.Of(data, 2);
        m.LayoutDataOffset = 7;
        var bytes = RoundTrip(RosType.Float64MultiArray, "/forward_position_controller/commands", &m);
        byte[] expected =
        [
            0x00, 0x01, 0x00, 0x00,
            0, 0, 0, 0,                 // layout.dim: empty
            7, 0, 0, 0,                 // layout.data_offset
            2, 0, 0, 0,                 // data: 2 doubles
            0, 0, 0, 0,                 // pad to offset 16
            0, 0, 0, 0, 0, 0, 0xF0, 0x3F, // 1.0
            0, 0, 0, 0, 0, 0, 0x00, 0xC0, // -2.0
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void JointTrajectory_carries_names_and_a_point_with_time_from_start()
    {
        using var mem = new NativeStrings();
        var pos = mem.Alloc<double>(1);
        pos[0] = 0.25;
        var pt = mem.Alloc<JointTrajectoryPointMsg>(1);
        pt->Positions = DdsSequence.Of(pos, 1);
        pt->TimeFromStart = new RosTime { Sec = 0, Nanosec = 6_000_000 };
        JointTrajectoryMsg m = default;
        m.Header.FrameId = mem.Add("");
        m.JointNames = DdsSequence.Of(mem.AddArray(["q"]), 1);
        m.Points = DdsSequence.Of(pt, 1);
        var bytes = RoundTrip(RosType.JointTrajectory, "/joint_trajectory_controller/joint_trajectory", &m);
        byte[] expected =
        [
            0x00, 0x01, 0x00, 0x00,
            0, 0, 0, 0, 0, 0, 0, 0,         // stamp 0 ("start now")
            1, 0, 0, 0, 0, 0, 0, 0,         // frame_id "" (length 1: the NUL) + 3 pad
            1, 0, 0, 0,                     // joint_names: 1
            2, 0, 0, 0, (byte)'q', 0, 0, 0, // "q" + 2 pad
            1, 0, 0, 0,                     // points: 1
            1, 0, 0, 0,                     // positions: 1 double (offset 36), pad to 40
            0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0xD0, 0x3F,   // 0.25
            0, 0, 0, 0,                     // velocities: empty
            0, 0, 0, 0,                     // accelerations: empty
            0, 0, 0, 0,                     // effort: empty
            0, 0, 0, 0, 0x80, 0x8D, 0x5B, 0x00, // time_from_start: 0 s, 6,000,000 ns
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Service_samples_start_with_rmw_cyclonedds_request_header_guid_then_sequence()
    {
        // rmw_cyclonedds (serdata.hpp, cdds_request_header_t) serializes uint64 guid then int64 seq ahead of the request
        GetResultRequestMsg m = default;
        m.ClientGuid = 0x0102030405060708UL;
        m.Sequence = 9;
        m.GoalId = GoalUuid.From(0x1716151413121110UL, 0x1f1e1d1c1b1a1918UL);
        var bytes = RoundTrip(RosType.GetResultRequest, "/a/_action/get_result", &m);
        byte[] expected =
        [
            0x00, 0x01, 0x00, 0x00,                         // CDR_LE
            8, 7, 6, 5, 4, 3, 2, 1,                         // client guid
            9, 0, 0, 0, 0, 0, 0, 0,                         // sequence number
            0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, // goal_id.uuid[16]
            0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
        ];
        Assert.Equal(expected, bytes);

        SendGoalResponseMsg r = default;
        r.ClientGuid = 0x0102030405060708UL;
        r.Sequence = 10;
        r.Accepted = 1;
        r.Stamp = new RosTime { Sec = 3, Nanosec = 4 };
        Assert.Equal(
        [
            0x00, 0x01, 0x00, 0x00,
            8, 7, 6, 5, 4, 3, 2, 1,
            10, 0, 0, 0, 0, 0, 0, 0,
            1, 0, 0, 0,                                     // accepted + pad to the int32 of the stamp
            3, 0, 0, 0, 4, 0, 0, 0,                         // stamp: sec 3, nanosec 4
        ], RoundTrip(RosType.SendGoalResponse, "/a/_action/send_goal", &r));
    }
}
