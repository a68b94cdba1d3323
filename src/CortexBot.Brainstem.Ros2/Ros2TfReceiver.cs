using System.Collections.Immutable;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// Object poses as Gazebo gives them: tf2_msgs/TFMessage on <see cref="Ros2Options.TfTopic"/> (through ros_gz_bridge's
/// pose bridge, or `cortexbot sim serve`'s object /tf), each message turned into a <see cref="DetectionFrame"/> whose
/// detections are its transforms: class id = child_frame_id, score 1, the transform as the pose, no size (the perception
/// file's class size applies). Transforms of frames the perception file does not know (the arm's links from
/// robot_state_publisher) become detections of unknown classes, which the perceived scene ignores and counts.
/// <list type="bullet">
/// <item>The frame's stamp is the newest header stamp of its transforms (ROS time to MonotonicClock as
/// <see cref="Ros2DetectionReceiver"/> does; zero: now).</item>
/// <item>A message with a non-finite transform, an invalid stamp or a quaternion that cannot be normalised is counted and
/// ignored. Transforms are taken in the frame the robot plans in (header.frame_id is not looked up).</item>
/// </list>
/// Threads: its own receiver thread (it allocates; never the control tick); <see cref="FrameReceived"/> is raised there.
/// </summary>
public sealed unsafe class Ros2TfReceiver : IDisposable
{
    /// <summary>More transforms than this in one message is taken for garbage.</summary>
    public const int MaxTransforms = 4096;

    private readonly int _reader, _waitset;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _accepted, _rejected;
    private volatile string? _lastProblem;
    private int _disposed;

    public Ros2TfReceiver(DdsParticipant dds, Ros2Options options)
    {
        ArgumentNullException.ThrowIfNull(dds);
        Topic = options.TfTopic;
        // tf publishers are reliable (depth 100); best effort matches them and any sensor-data one
        _reader = dds.Reader(RosType.TfMessage, Topic, RosQos.SensorData with { Depth = 100 });
        _waitset = dds.Waitset(_reader);
        _thread = new Thread(Receive) { IsBackground = true, Name = "cortexbot-ros2-tf" };
        _thread.Start();
    }

    public string Topic { get; }

    /// <summary>Raised on the receiver's thread with each valid message as a frame; a handler that throws is reported in <see cref="LastProblem"/>.</summary>
    public event Action<DetectionFrame>? FrameReceived;

    public long FramesAccepted => Interlocked.Read(ref _accepted);
    public long FramesRejected => Interlocked.Read(ref _rejected);
    public string? LastProblem => _lastProblem;

    private void Receive()
    {
        while (!_stop)
        {
            int n = Native.Wait(_waitset, 100_000_000);
            if (_stop) return;
            if (n < 0) { Thread.Sleep(10); continue; }
            while (!_stop)
            {
                int r = Native.Take(_reader, out void* p, out _);
                if (r <= 0) break;
                if (r != 1) continue;
                DetectionFrame? frame;
                try { frame = Parse((TfMessageMsg*)p, MonotonicClock.NowNs, Ros2DetectionReceiver.WallNowNs(), out var problem); if (frame is null) _lastProblem = problem; }
                finally { Native.ReturnLoan(_reader, p); }
                if (frame is null) { Interlocked.Increment(ref _rejected); continue; }
                Interlocked.Increment(ref _accepted);
                try { FrameReceived?.Invoke(frame); }
                catch (Exception e) { _lastProblem = $"a tf frame handler failed: {e.Message}"; }
            }
        }
    }

    /// <summary>One TFMessage as a frame, or null with the reason.</summary>
    internal static DetectionFrame? Parse(TfMessageMsg* m, long nowMonoNs, long nowWallNs, out string? problem)
    {
        uint n = m->Transforms.Length;
        if (n > MaxTransforms || (n > 0 && m->Transforms.Buffer == null))
        {
            problem = $"a TFMessage with {n} transforms (at most {MaxTransforms})";
            return null;
        }
        var all = (TransformStampedMsg*)m->Transforms.Buffer;
        var detections = ImmutableArray.CreateBuilder<Detection>((int)n);
        long newest = 0;
        for (int i = 0; i < n; i++)
        {
            var t = all + i;
            var stamp = t->Header.Stamp;
            if (stamp.Sec < 0 || stamp.Nanosec >= 1_000_000_000) { problem = $"transform {i} has an invalid stamp"; return null; }
            newest = Math.Max(newest, stamp.TotalNanoseconds);
            var position = new Vec3(t->Tx, t->Ty, t->Tz);
            var q = new Quat(t->Qw, t->Qx, t->Qy, t->Qz);
            if (!position.IsFinite || !q.IsFinite) { problem = $"transform {i} is not finite"; return null; }
            double norm = Math.Sqrt(q.W * q.W + q.X * q.X + q.Y * q.Y + q.Z * q.Z);
            if (norm is < 1e-6 or > 1e6) { problem = $"transform {i}'s quaternion of norm {norm:g3} cannot be normalised"; return null; }
            string? child = Native.ToManaged(t->ChildFrameId);
            if (string.IsNullOrEmpty(child)) continue;
            // tf frame names may carry a leading '/' (tf1 style): the class id is the bare name
            detections.Add(new Detection(child.TrimStart('/'), 1.0, new Pose(position, new Quat(q.W / norm, q.X / norm, q.Y / norm, q.Z / norm)), default));
        }
        long stampNs = RosTime.ToMonotonic(newest, nowWallNs, nowMonoNs);
        problem = null;
        return new DetectionFrame(stampNs, nowMonoNs, detections.DrainToImmutable());
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop = true;
        Native.Wake(_waitset);
        _thread.Join();
        Native.Delete(_waitset);
        Native.Delete(_reader);
    }
}
