using System.Globalization;
using CortexBot.Core;
using CortexBot.Core.Messages;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// Ros2DetectionReceiver against a perception node played by the plain C peer (native/ros2_peer.c publish-detections:
/// a detection whose best hypothesis is its second, one whose hypothesis pose is unset, one with no hypothesis).
/// </summary>
public sealed unsafe class DetectionReceiverTests
{
    private static (Ros2DetectionReceiver Receiver, DdsParticipant Dds) Subscribe(int domain, List<DetectionFrame>? seen = null)
    {
        var dds = new DdsParticipant(domain, DdsParticipant.LoopbackConfig());
        var r = new Ros2DetectionReceiver(dds, TestBus.Options(domain));
        if (seen is not null) r.FrameReceived += f => { lock (seen) seen.Add(f); };
        return (r, dds);
    }

    [Fact]
    public void Frames_from_a_c_perception_node_become_detection_frames()
    {
        int d = TestBus.NewDomain();
        var seen = new List<DetectionFrame>();
        var (r, dds) = Subscribe(d, seen);
        using (dds)
        using (r)
        {
            using var peer = CPeerTests.StartPeer(d.ToString(CultureInfo.InvariantCulture), "3", "/detections", "publish-detections", "now");
            TestBus.WaitUntil(() => r.FramesAccepted >= 5, "five detection frames", 15);
            peer.WaitForExit();
            Assert.Equal("/detections", r.Topic);
            var f = r.Latest!;
            Assert.Equal(2, f.Detections.Length);

            var red = f.Detections[0];
            Assert.Equal("red_cube", red.ClassId); // the best hypothesis, not the first
            Assert.Equal(0.875, red.Score);
            Assert.Equal(0.4, red.Pose.Position.X);
            Assert.Equal(-0.1, red.Pose.Position.Y);
            Assert.Equal(0.425, red.Pose.Position.Z); // the hypothesis pose, not the box centre (9, 9, 9)
            Assert.Equal(Math.PI / 4, red.Pose.Orientation.Yaw, 9);
            Assert.Equal(0.04, red.Size.X);
            Assert.Equal(0.05, red.Size.Y);
            Assert.Equal(0.06, red.Size.Z);

            var green = f.Detections[1];
            Assert.Equal("green_cube", green.ClassId);
            Assert.Equal(0.5, green.Score);
            Assert.Equal(new CortexBot.Core.Geometry.Vec3(0.5, 0.2, 0.43), green.Pose.Position); // unset pose: the box centre
            Assert.Equal(CortexBot.Core.Geometry.Quat.Identity, green.Pose.Orientation);

            // the third detection has no hypothesis: skipped, counted once per frame
            Assert.True(r.DetectionsUnclassified >= r.FramesAccepted);
            Assert.Equal(0, r.FramesRejected);
            // stamped now by the peer: the capture time is at most the delivery time before receipt
            Assert.InRange(f.ReceivedNs - f.StampNs, 0, 500_000_000);
            lock (seen)
            {
                Assert.True(seen.Count >= 5);
                Assert.Same(seen[^1], r.Latest);
            }
        }
    }

    [Theory]
    [InlineData("zero")]
    [InlineData("old")]
    [InlineData("nan")]
    public void Stamps_and_garbage(string variant)
    {
        int d = TestBus.NewDomain();
        var (r, dds) = Subscribe(d);
        using (dds)
        using (r)
        {
            using var peer = CPeerTests.StartPeer(d.ToString(CultureInfo.InvariantCulture), "2", "/detections", "publish-detections", variant);
            TestBus.WaitUntil(() => r.FramesAccepted + r.FramesRejected >= 5, "five detection messages", 15);
            peer.WaitForExit();
            if (variant == "nan")
            {
                Assert.Null(r.Latest);
                Assert.Equal(0, r.FramesAccepted);
                Assert.Contains("non-finite", r.LastProblem);
                return;
            }
            var f = r.Latest!;
            Assert.Equal(2, f.Detections.Length);
            if (variant == "zero") Assert.Equal(f.ReceivedNs, f.StampNs); // a zero stamp means now
            else Assert.InRange((f.ReceivedNs - f.StampNs) / 1e9, 2.0, 2.5); // captured 2 s before it was sent
        }
    }

    [Fact]
    public void Header_stamps_convert_from_wall_clock_to_monotonic_time()
    {
        var m = new Detection3DArrayMsg();
        const long mono = 5_000_000_000, wall = 1_765_000_000_000_000_000;
        m.Header.Stamp = RosTime.FromNanoseconds(wall - 30_000_000);
        var f = Ros2DetectionReceiver.Parse(&m, mono, wall, out var problem, out _)!;
        Assert.Null(problem);
        Assert.Equal(mono - 30_000_000, f.StampNs);
        Assert.Equal(mono, f.ReceivedNs);
        Assert.Empty(f.Detections);
        // a stamp ahead of this clock (skew between machines) is taken as receipt, never as the future
        m.Header.Stamp = RosTime.FromNanoseconds(wall + 1_000_000_000);
        Assert.Equal(mono, Ros2DetectionReceiver.Parse(&m, mono, wall, out _, out _)!.StampNs);
        m.Header.Stamp = new RosTime { Sec = 1, Nanosec = 1_000_000_000 };
        Assert.Null(Ros2DetectionReceiver.Parse(&m, mono, wall, out problem, out _));
        Assert.Contains("not a valid ROS time", problem);
    }

    [Fact]
    public void Negative_box_sizes_and_unnormalisable_quaternions_are_refused()
    {
        using var mem = new NativeStrings();
        var h = mem.Alloc<ObjectHypothesisWithPoseMsg>(1);
        h->ClassId = mem.Add("red_cube");
        h->Score = 1;
        h->Pose = new PoseMsg { Px = 0.1, Qw = 1 };
        var det = mem.Alloc<Detection3DMsg>(1);
        det->Results = DdsSequence.Of(h, 1);
        det->Bbox.Center.Qw = 1;
        det->Bbox.Sx = det->Bbox.Sy = det->Bbox.Sz = 0.04;
        var m = new Detection3DArrayMsg { Detections = DdsSequence.Of(det, 1) };
        long now = MonotonicClock.NowNs;
        Assert.NotNull(Ros2DetectionReceiver.Parse(&m, now, Ros2DetectionReceiver.WallNowNs(), out _, out _));

        det->Bbox.Sy = -0.04;
        Assert.Null(Ros2DetectionReceiver.Parse(&m, now, 0, out var problem, out _));
        Assert.Contains("non-negative", problem);
        det->Bbox.Sy = 0.04;
        h->Pose.Qw = 1e-9;
        Assert.Null(Ros2DetectionReceiver.Parse(&m, now, 0, out problem, out _));
        Assert.Contains("cannot be normalised", problem);
        // an empty class id cannot be named: skipped, not refused
        h->Pose.Qw = 1;
        h->ClassId = mem.Add("");
        var f = Ros2DetectionReceiver.Parse(&m, now, 0, out _, out int unclassified)!;
        Assert.Empty(f.Detections);
        Assert.Equal(1, unclassified);
    }
}
