using System.Collections.Immutable;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// Object detections from a perception node: subscribes vision_msgs/Detection3DArray (vision_msgs 4.x) on
/// <see cref="Ros2Options.DetectionsTopic"/> (best effort, so it matches reliable and best-effort publishers) and turns
/// each message into a <see cref="DetectionFrame"/>:
/// <list type="bullet">
/// <item>per Detection3D, the hypothesis with the highest score gives the class id and score (the first wins a tie); its
/// pose is the object's pose, unless that pose is unset (all zero, as nodes that fill only the box leave it), then the
/// bounding box centre is; the size is the box's. A zero quaternion means identity; others are normalised;</item>
/// <item>a detection with no hypothesis or an empty class id cannot be named: it is skipped and counted
/// (<see cref="DetectionsUnclassified"/>);</item>
/// <item>the header stamp (ROS time: wall-clock ns since the epoch) becomes MonotonicClock ns as
/// <c>now_mono - (now_wall - stamp)</c>, never later than receipt; a zero stamp means "now";</item>
/// <item>a message with a non-finite value, a negative size, a quaternion that cannot be normalised or a malformed
/// sequence is counted (<see cref="FramesRejected"/>, <see cref="LastProblem"/>) and ignored: <see cref="Latest"/> keeps the
/// previous frame.</item>
/// </list>
/// The poses are taken as given, in the frame the robot plans in (header.frame_id is not transformed).
/// <para>Threads: messages are taken and parsed on a thread of its own (it allocates; it is never the control tick);
/// <see cref="Latest"/> is a volatile reference, readable from any thread; <see cref="FrameReceived"/> is raised on the
/// receiver's thread and must return quickly.</para>
/// </summary>
public sealed unsafe class Ros2DetectionReceiver : IDisposable
{
    /// <summary>More detections than this in one message is taken for garbage.</summary>
    public const int MaxDetections = 4096;

    private readonly int _reader, _waitset;
    private readonly Thread _thread;
    private volatile bool _stop;
    private volatile DetectionFrame? _latest;
    private long _accepted, _rejected, _unclassified;
    private volatile string? _lastProblem;
    private int _disposed;

    public Ros2DetectionReceiver(DdsParticipant dds, Ros2Options options)
    {
        ArgumentNullException.ThrowIfNull(dds);
        Topic = options.DetectionsTopic;
        _reader = dds.Reader(RosType.Detection3DArray, Topic, RosQos.SensorData);
        _waitset = dds.Waitset(_reader);
        _thread = new Thread(Receive) { IsBackground = true, Name = "cortexbot-ros2-detections" };
        _thread.Start();
    }

    /// <summary>The ROS 2 topic subscribed.</summary>
    public string Topic { get; }

    /// <summary>The newest valid frame (null before the first).</summary>
    public DetectionFrame? Latest => _latest;

    /// <summary>Raised on the receiver's thread with each valid frame, after <see cref="Latest"/> is set. A handler that throws
    /// is reported in <see cref="LastProblem"/>; the receiver goes on.</summary>
    public event Action<DetectionFrame>? FrameReceived;

    public long FramesAccepted => Interlocked.Read(ref _accepted);
    public long FramesRejected => Interlocked.Read(ref _rejected);
    /// <summary>Detections skipped because they had no hypothesis or an empty class id.</summary>
    public long DetectionsUnclassified => Interlocked.Read(ref _unclassified);
    /// <summary>Why the latest message was rejected (or a handler failed); null: none.</summary>
    public string? LastProblem => _lastProblem;
    /// <summary>How many publishers of the topic are matched (0: no perception node is seen).</summary>
    public int PublishersMatched => Math.Max(0, DdsParticipant.Matched(_reader, false));

    private void Receive()
    {
        while (!_stop)
        {
            int n = Native.Wait(_waitset, 100_000_000);
            if (_stop) return;
            if (n < 0) { Thread.Sleep(10); continue; }
            Drain();
        }
    }

    private void Drain()
    {
        while (!_stop)
        {
            int r = Native.Take(_reader, out void* p, out _);
            if (r <= 0) return;
            if (r != 1) continue;
            DetectionFrame? frame;
            try
            {
                frame = Parse((Detection3DArrayMsg*)p, MonotonicClock.NowNs, WallNowNs(), out var problem, out int unclassified);
                if (unclassified > 0) Interlocked.Add(ref _unclassified, unclassified);
                if (frame is null)
                {
                    Interlocked.Increment(ref _rejected);
                    _lastProblem = problem;
                    continue;
                }
            }
            finally { Native.ReturnLoan(_reader, p); }
            _latest = frame;
            Interlocked.Increment(ref _accepted);
            try { FrameReceived?.Invoke(frame); }
            catch (Exception e) { _lastProblem = $"a detection frame handler failed: {e.Message}"; }
        }
    }

    /// <summary>ROS time now: wall-clock ns since the Unix epoch.</summary>
    internal static long WallNowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>One Detection3DArray as a frame, or null with the reason. <paramref name="nowMonoNs"/> is the receipt time
    /// (MonotonicClock) and <paramref name="nowWallNs"/> the wall clock at that moment.</summary>
    internal static DetectionFrame? Parse(Detection3DArrayMsg* m, long nowMonoNs, long nowWallNs, out string? problem, out int unclassified)
    {
        unclassified = 0;
        var stamp = m->Header.Stamp;
        if (stamp.Sec < 0 || stamp.Nanosec >= 1_000_000_000)
        {
            problem = $"header stamp {stamp.Sec} s {stamp.Nanosec} ns is not a valid ROS time";
            return null;
        }
        long stampNs = RosTime.ToMonotonic(stamp.TotalNanoseconds, nowWallNs, nowMonoNs);
        uint n = m->Detections.Length;
        if (n > MaxDetections || (n > 0 && m->Detections.Buffer == null))
        {
            problem = $"a Detection3DArray with {n} detections{(m->Detections.Buffer == null ? " and no buffer" : "")} (at most {MaxDetections})";
            return null;
        }
        var detections = ImmutableArray.CreateBuilder<Detection>((int)n);
        var all = (Detection3DMsg*)m->Detections.Buffer;
        for (int i = 0; i < n; i++)
        {
            var d = all + i;
            uint h = d->Results.Length;
            if (h > 0 && d->Results.Buffer == null)
            {
                problem = $"detection {i} has {h} results and no buffer";
                return null;
            }
            var results = (ObjectHypothesisWithPoseMsg*)d->Results.Buffer;
            int best = -1;
            for (int k = 0; k < h; k++)
            {
                if (!double.IsFinite(results[k].Score))
                {
                    problem = $"detection {i} has a non-finite score";
                    return null;
                }
                if (best < 0 || results[k].Score > results[best].Score) best = k;
            }
            if (!ToPose(&d->Bbox.Center, out var center, out problem)) { problem = $"detection {i}'s box centre: {problem}"; return null; }
            var size = new Vec3(d->Bbox.Sx, d->Bbox.Sy, d->Bbox.Sz);
            if (!size.IsFinite || size.X < 0 || size.Y < 0 || size.Z < 0)
            {
                problem = $"detection {i} has box size {size}: sizes must be finite and non-negative";
                return null;
            }
            if (best < 0 || results[best].ClassId == null || results[best].ClassId[0] == 0)
            {
                unclassified++;
                continue;
            }
            var hp = &results[best].Pose;
            Pose pose;
            if (IsUnset(hp)) pose = center;
            else if (!ToPose(hp, out pose, out problem)) { problem = $"detection {i}'s hypothesis pose: {problem}"; return null; }
            detections.Add(new Detection(Native.ToManaged(results[best].ClassId)!, results[best].Score, pose, size));
        }
        problem = null;
        return new DetectionFrame(stampNs, nowMonoNs, detections.DrainToImmutable());
    }

    private static bool IsUnset(PoseMsg* p) =>
        p->Px == 0 && p->Py == 0 && p->Pz == 0 && p->Qx == 0 && p->Qy == 0 && p->Qz == 0 && p->Qw == 0;

    private static bool ToPose(PoseMsg* p, out Pose pose, out string? problem)
    {
        pose = default;
        var position = new Vec3(p->Px, p->Py, p->Pz);
        var q = new Quat(p->Qw, p->Qx, p->Qy, p->Qz);
        if (!position.IsFinite || !q.IsFinite)
        {
            problem = "non-finite position or orientation";
            return false;
        }
        double norm = Math.Sqrt(q.W * q.W + q.X * q.X + q.Y * q.Y + q.Z * q.Z);
        if (norm == 0) q = Quat.Identity; // an orientation left unset
        else if (norm is < 1e-6 or > 1e6)
        {
            problem = $"quaternion of norm {norm:g3} cannot be normalised";
            return false;
        }
        else q = new Quat(q.W / norm, q.X / norm, q.Y / norm, q.Z / norm);
        pose = new Pose(position, q);
        problem = null;
        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop = true;
        Native.Wake(_waitset);
        _thread.Join();
        // both belong to the participant: deleting them after it is gone returns an error, harmlessly
        Native.Delete(_waitset);
        Native.Delete(_reader);
    }
}
