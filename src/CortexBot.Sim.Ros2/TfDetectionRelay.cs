using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Sim.Ros2;

/// <summary>Which time a relayed detection carries in its header stamp.</summary>
public enum TfStampSource
{
    /// <summary>The TF header stamp as given (ROS time: wall-clock ns since the epoch, as `sim serve` and a real robot's
    /// /tf have it). A zero stamp is taken as the receipt time, never as "now" at publishing.</summary>
    Source,
    /// <summary>The wall-clock time the relay received the pose: for simulated-time stamps (Gazebo's), which a brain
    /// reading the wall clock cannot compare. A pose that stops arriving still ages.</summary>
    Receipt,
}

/// <summary>An object the relay reports: its TF name (also its class id) and its full box size (zero: unknown).</summary>
public readonly record struct RelayObject(string Name, Vec3 Size);

/// <summary>What <see cref="TfDetectionRelay"/> subscribes, publishes and how often.</summary>
public sealed record TfRelayOptions
{
    /// <summary>tf2_msgs/TFMessage topics read (one or more: Gazebo's per-model pose topics, or one /tf).</summary>
    public IReadOnlyList<string> FromTopics { get; init; } = [];
    /// <summary>vision_msgs/Detection3DArray topic written.</summary>
    public string ToTopic { get; init; } = "/detections";
    /// <summary>Frames per second.</summary>
    public double RateHz { get; init; } = 15;
    /// <summary>header.frame_id of the published frames: the frame the poses are taken to be in (no transform is applied).</summary>
    public string FrameId { get; init; } = "world";
    public TfStampSource Stamp { get; init; } = TfStampSource.Source;

    public TfRelayOptions Validate()
    {
        if (FromTopics.Count == 0) throw new ConfigurationException("--from-tf needs at least one TF topic");
        foreach (var t in FromTopics) DdsParticipant.DdsTopicName(t);
        DdsParticipant.DdsTopicName(ToTopic);
        if (FromTopics.Contains(ToTopic)) throw new ConfigurationException($"--to {ToTopic} is also a --from-tf topic");
        if (!double.IsFinite(RateHz) || RateHz <= 0 || RateHz > 100) throw new ConfigurationException($"--rate must be in (0, 100] Hz, got {RateHz}");
        if (string.IsNullOrWhiteSpace(FrameId) || FrameId.Any(char.IsWhiteSpace))
            throw new ConfigurationException($"--frame must be a frame id without spaces, got '{FrameId}'");
        return this;
    }
}

/// <summary>
/// Ground-truth object poses on TF turned into the perception topic: subscribes tf2_msgs/TFMessage on one or more topics
/// (best effort, so reliable and best-effort publishers both match), keeps the latest pose per known object, and publishes
/// one vision_msgs/Detection3DArray at the rate with every object seen so far (class id = its name, score 1, the box size
/// given, the pose as received). Objects never seen are left out; until one is seen nothing is published (nothing is
/// known, which is not the same as an empty table).
/// <para>Which transform names an object N (Gazebo's names may be scoped; ros_gz_bridge turns <c>::</c> into <c>/</c>):</para>
/// <list type="bullet">
/// <item><c>N</c> (a leading <c>/</c> ignored): the object's pose: `sim serve`'s /tf, Gazebo's pose publisher with
/// publish_model_pose (parent frame: the world's name);</item>
/// <item><c>N/L</c> or <c>N::L</c>: one of N's links, used only while no <c>N</c> transform has been seen, and only when its
/// parent frame is not N itself (a link pose relative to its model is an offset, not a place: counted in
/// <see cref="RelativeTransforms"/> and ignored);</item>
/// <item>anything else names nothing the relay was told about (<see cref="UnknownTransforms"/>); an empty child frame id
/// (<see cref="UnnamedTransforms"/>) is what ros_gz_bridge makes of the scene broadcaster's
/// <c>/world/W/dynamic_pose/info</c>, whose poses carry names but no <c>child_frame_id</c> header entry.</item>
/// </list>
/// The parent frame is not transformed: the poses must be in the frame the robot plans in (Gazebo's world frame).
/// <para>Stamps: per object, the TF header stamp or the receipt time (<see cref="TfStampSource"/>); each detection carries
/// its object's stamp and the frame the oldest of them, so a pose that stops arriving makes the frame stale instead of
/// being re-published as fresh.</para>
/// <para>One thread (<see cref="Run"/>) takes the TF messages and publishes; after the first frame of each object,
/// taking and publishing allocate nothing (names are matched in the native strings).</para>
/// </summary>
public sealed unsafe class TfDetectionRelay : IDisposable
{
    private const byte Slash = (byte)'/', Colon = (byte)':';

    private readonly TfRelayOptions _o;
    private readonly RelayObject[] _objects;
    private readonly byte[][] _names;
    private readonly int[] _readers;
    private readonly int _waitset;
    private readonly Ros2DetectionWriter _writer;
    private readonly Action<string>? _log;
    // per object: latest pose, its stamp (wall ns), how it was named (-1 never seen, 0 model, 1 link)
    private readonly Pose[] _pose;
    private readonly long[] _stampNs;
    private readonly int[] _rank;
    private readonly Detection[] _frame;
    private readonly long[] _frameStamps;
    private long _messages, _used, _unknown, _unnamed, _relative, _bad, _published, _failures;
    private bool _unnamedNoted;
    private volatile string? _problem;
    private int _disposed;

    public TfDetectionRelay(DdsParticipant dds, IReadOnlyList<RelayObject> objects, TfRelayOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(dds);
        _o = options.Validate();
        if (objects.Count == 0) throw new ConfigurationException("no objects to relay (give --classes or a scene with objects)");
        foreach (var g in objects.GroupBy(x => x.Name, StringComparer.Ordinal))
            if (g.Count() > 1) throw new ConfigurationException($"object '{g.Key}' is named twice");
        foreach (var x in objects)
        {
            if (string.IsNullOrWhiteSpace(x.Name) || x.Name.Contains('/') || x.Name.Contains("::", StringComparison.Ordinal) || x.Name.Any(char.IsWhiteSpace))
                throw new ConfigurationException($"object name '{x.Name}' must be one TF frame name (no '/', '::' or spaces)");
            if (!x.Size.IsFinite || x.Size.X < 0 || x.Size.Y < 0 || x.Size.Z < 0)
                throw new ConfigurationException($"object '{x.Name}' has size {x.Size}: sizes must be finite and non-negative");
        }
        _objects = [.. objects];
        _names = [.. _objects.Select(x => System.Text.Encoding.UTF8.GetBytes(x.Name))];
        _log = log;
        int n = _objects.Length;
        _pose = new Pose[n];
        _stampNs = new long[n];
        _rank = Enumerable.Repeat(-1, n).ToArray();
        _frame = new Detection[n];
        _frameStamps = new long[n];
        // tf2's listener reads reliable; best effort also matches best-effort publishers, and only the latest pose matters
        _readers = [.. _o.FromTopics.Distinct().Select(t => dds.Reader(RosType.TfMessage, t, new RosQos(false, 100)))];
        _waitset = dds.Waitset(_readers);
        _writer = new Ros2DetectionWriter(dds, _o.ToTopic, _o.FrameId, 0, n);
    }

    public TfRelayOptions Options => _o;
    public IReadOnlyList<RelayObject> Objects => _objects;
    /// <summary>TFMessages taken.</summary>
    public long TfMessages => Interlocked.Read(ref _messages);
    /// <summary>Transforms that updated an object's pose.</summary>
    public long TransformsUsed => Interlocked.Read(ref _used);
    /// <summary>Transforms naming no known object.</summary>
    public long UnknownTransforms => Interlocked.Read(ref _unknown);
    /// <summary>Transforms with an empty child frame id.</summary>
    public long UnnamedTransforms => Interlocked.Read(ref _unnamed);
    /// <summary>Link transforms given relative to their own object.</summary>
    public long RelativeTransforms => Interlocked.Read(ref _relative);
    /// <summary>Transforms of a known object with a non-finite value or a quaternion that cannot be normalised.</summary>
    public long BadTransforms => Interlocked.Read(ref _bad);
    public long FramesPublished => Interlocked.Read(ref _published);
    public long Failures => Interlocked.Read(ref _failures);
    /// <summary>Why the latest frame could not be published (null: none failed).</summary>
    public string? Problem => _problem;
    /// <summary>How many objects have been seen.</summary>
    public int ObjectsSeen
    {
        get
        {
            int k = 0;
            foreach (var r in _rank) if (r >= 0) k++;
            return k;
        }
    }
    /// <summary>How many TF publishers are matched across the topics read.</summary>
    public int PublishersMatched => _readers.Sum(r => Math.Max(0, DdsParticipant.Matched(r, false)));

    /// <summary>Takes TF and publishes at the rate until <paramref name="ct"/> is cancelled (its own thread).</summary>
    public void Run(CancellationToken ct)
    {
        using var wake = ct.Register(() => Native.Wake(_waitset));
        long period = (long)(1e9 / _o.RateHz);
        long next = MonotonicClock.NowNs + period;
        while (!ct.IsCancellationRequested)
        {
            long wait = next - MonotonicClock.NowNs;
            if (wait > 0) Native.Wait(_waitset, wait);
            if (ct.IsCancellationRequested) return;
            Drain();
            long now = MonotonicClock.NowNs;
            if (now >= next)
            {
                Publish();
                next += period;
                if (next <= now) next = now + period; // stalled: keep the rate, do not burst
            }
        }
    }

    /// <summary>Takes every waiting TFMessage and keeps the newest pose of each object named (the caller's thread).</summary>
    internal void Drain()
    {
        foreach (int reader in _readers)
        {
            while (true)
            {
                int r = Native.Take(reader, out void* p, out _);
                if (r <= 0) break;
                if (r != 1) continue;
                try { Apply((TfMessageMsg*)p, Ros2DetectionReceiver.WallNowNs()); }
                finally { Native.ReturnLoan(reader, p); }
            }
        }
    }

    private void Apply(TfMessageMsg* m, long receiptWallNs)
    {
        Interlocked.Increment(ref _messages);
        uint n = m->Transforms.Length;
        if (n > 0 && m->Transforms.Buffer == null) { Interlocked.Increment(ref _bad); return; }
        var all = (TransformStampedMsg*)m->Transforms.Buffer;
        for (int i = 0; i < n; i++)
        {
            var t = all + i;
            byte* child = Unrooted(t->ChildFrameId);
            if (child == null || child[0] == 0)
            {
                Interlocked.Increment(ref _unnamed);
                if (!_unnamedNoted)
                {
                    _unnamedNoted = true;
                    _log?.Invoke("transforms with an empty child_frame_id are ignored (ros_gz_bridge leaves it empty for the scene " +
                                 "broadcaster's dynamic_pose/info: read each object's pose publisher, /model/<name>/pose, instead)");
                }
                continue;
            }
            int obj = Match(child, out int rank);
            if (obj < 0) { Interlocked.Increment(ref _unknown); continue; }
            if (rank == 1 && StartsWithObject(Unrooted(t->Header.FrameId), obj)) { Interlocked.Increment(ref _relative); continue; }
            if (_rank[obj] >= 0 && rank > _rank[obj]) continue; // the object's own pose wins over a link's
            var position = new Vec3(t->Tx, t->Ty, t->Tz);
            var q = new Quat(t->Qw, t->Qx, t->Qy, t->Qz);
            double norm = Math.Sqrt(q.W * q.W + q.X * q.X + q.Y * q.Y + q.Z * q.Z);
            if (!position.IsFinite || !q.IsFinite || norm is < 1e-6 or > 1e6) { Interlocked.Increment(ref _bad); continue; }
            var stamp = t->Header.Stamp;
            long stampNs = _o.Stamp == TfStampSource.Receipt || stamp.TotalNanoseconds <= 0 ? receiptWallNs : stamp.TotalNanoseconds;
            // the latest message wins, whatever its stamp: DDS keeps each publisher's order, and refusing older stamps
            // would freeze an object after a clock step back (a wall-clock correction, a simulation reset)
            _pose[obj] = new Pose(position, new Quat(q.W / norm, q.X / norm, q.Y / norm, q.Z / norm));
            _stampNs[obj] = stampNs;
            _rank[obj] = rank;
            Interlocked.Increment(ref _used);
        }
    }

    /// <summary>Publishes one frame of the objects seen (none seen: nothing). Returns how many it carried, or -1 when
    /// nothing was published (none seen, or the write failed).</summary>
    internal int Publish()
    {
        int k = 0;
        long oldest = long.MaxValue;
        for (int i = 0; i < _objects.Length; i++)
        {
            if (_rank[i] < 0) continue;
            _frame[k] = new Detection(_objects[i].Name, 1.0, _pose[i], _objects[i].Size);
            _frameStamps[k] = _stampNs[i];
            oldest = Math.Min(oldest, _stampNs[i]);
            k++;
        }
        if (k == 0) return -1;
        int rc = _writer.Write(oldest, _frame.AsSpan(0, k), _frameStamps.AsSpan(0, k));
        if (rc < 0)
        {
            Interlocked.Increment(ref _failures);
            _problem = $"could not publish detections: {Native.Describe(rc)}";
            return -1;
        }
        Interlocked.Increment(ref _published);
        return k;
    }

    private static byte* Unrooted(byte* s) => s != null && s[0] == Slash ? s + 1 : s;

    /// <summary>The object a child frame id names (rank 0: the object itself; 1: one of its links), or -1.</summary>
    private int Match(byte* child, out int rank)
    {
        rank = 0;
        for (int i = 0; i < _names.Length; i++)
        {
            var name = _names[i];
            if (!HasPrefix(child, name)) continue;
            byte* rest = child + name.Length;
            if (rest[0] == 0) return i;
            int sep = Separator(rest);
            if (sep == 0) continue; // a longer name: red_cube_2 is not red_cube
            byte* link = rest + sep;
            if (link[0] == 0 || HasSeparator(link)) continue; // one link level only
            rank = 1;
            return i;
        }
        return -1;
    }

    /// <summary>Whether <paramref name="frame"/> is the object or inside it (a pose given relative to the object).</summary>
    private bool StartsWithObject(byte* frame, int obj)
    {
        if (frame == null) return false;
        var name = _names[obj];
        if (!HasPrefix(frame, name)) return false;
        byte* rest = frame + name.Length;
        return rest[0] == 0 || Separator(rest) > 0;
    }

    private static bool HasPrefix(byte* s, byte[] prefix)
    {
        for (int j = 0; j < prefix.Length; j++)
            if (s[j] != prefix[j]) return false; // also stops at s's terminating 0
        return true;
    }

    private static int Separator(byte* s) => s[0] == Slash ? 1 : s[0] == Colon && s[1] == Colon ? 2 : 0;

    private static bool HasSeparator(byte* s)
    {
        for (; *s != 0; s++)
            if (Separator(s) > 0) return true;
        return false;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _writer.Dispose();
        // owned by the participant: deleting after it is gone returns an error, harmlessly
        Native.Delete(_waitset);
        foreach (int r in _readers) Native.Delete(r);
    }
}
