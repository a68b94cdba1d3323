using System.Collections.Immutable;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// The simulator node's side of the link (<c>cortexbot sim serve</c>): the scene status it publishes on
/// <see cref="Ros2Options.SceneTopic"/> is the scene, and a reset request on <see cref="Ros2Options.ResetTopic"/>
/// resets its world. A physical arm has no such node: the scene is then empty and a reset fails with a clear error
/// after <see cref="Ros2Options.ResetTimeout"/>.
/// <para>Threads: <see cref="Drain"/> runs on the link's receiver thread; <see cref="Snapshot"/> on any thread;
/// <see cref="ResetScene"/> on the control thread (it waits for the node's acknowledgement and a joint state after it).</para>
/// </summary>
internal sealed unsafe class Ros2SceneClient : IScenePerception, IWorldReset, IDisposable
{
    private readonly Ros2Options _o;
    private readonly Ros2JointStateReceiver _states;
    private readonly int _resetWriter;
    private readonly NativeStrings _mem = new();
    private readonly ResetRequestMsg* _reset;
    private volatile SceneStatusView? _scene;
    private uint _nextResetId;
    private long _scenes;

    internal sealed record SceneStatusView(uint ResetId, int Seed, double SimTime, SceneSnapshot Snapshot, long ReceivedNs);

    public Ros2SceneClient(DdsParticipant dds, Ros2Options options, Ros2JointStateReceiver states)
    {
        _o = options;
        _states = states;
        Reader = dds.Reader(RosType.SceneStatus, options.SceneTopic, RosQos.SensorData);
        _resetWriter = dds.Writer(RosType.ResetRequest, options.ResetTopic, RosQos.Default);
        _reset = _mem.Alloc<ResetRequestMsg>(1);
    }

    /// <summary>The DDS reader, for the link's waitset.</summary>
    public int Reader { get; }

    public long ScenesReceived => Interlocked.Read(ref _scenes);

    public SceneSnapshot Snapshot() => _scene?.Snapshot ?? new SceneSnapshot(MonotonicClock.NowNs, []);

    /// <summary>Null once the simulator node's scene status has arrived; before, why the scene is not known.</summary>
    public string? Problem() => _scene is null ? $"no scene status from the simulator node on {_o.SceneTopic} yet" : null;

    /// <summary>
    /// Whether the simulator node is on the graph: a reader of <see cref="Ros2Options.ResetTopic"/> matched by our reset
    /// writer, or a writer of <see cref="Ros2Options.SceneTopic"/> matched by our scene reader. A participant's endpoints
    /// are discovered together, so once the robot's joint-state publisher is matched, <paramref name="grace"/> more without
    /// either means there is none (a physical arm, or `sim serve --as-robot`). Waits at most <paramref name="timeout"/>.
    /// </summary>
    public bool DiscoverSimulatorNode(TimeSpan timeout, TimeSpan grace)
    {
        long now = MonotonicClock.NowNs, deadline = now + (long)timeout.TotalNanoseconds, robotSeenAt = 0;
        while (true)
        {
            if (SimulatorNodeMatched) return true;
            now = MonotonicClock.NowNs;
            if (robotSeenAt == 0 && DdsParticipant.Matched(_states.Reader, false) > 0) robotSeenAt = now;
            if (now > deadline || (robotSeenAt != 0 && now - robotSeenAt > (long)grace.TotalNanoseconds)) return SimulatorNodeMatched;
            Thread.Sleep(5);
        }
    }

    /// <summary>Whether the simulator node's reset reader or scene writer is matched now.</summary>
    public bool SimulatorNodeMatched => DdsParticipant.Matched(_resetWriter, true) > 0 || DdsParticipant.Matched(Reader, false) > 0;

    /// <summary>Asks the simulator node to reset to <paramref name="seed"/> and waits for its acknowledgement and a joint state after it.</summary>
    public void ResetScene(int seed)
    {
        var deadline = MonotonicClock.NowNs + (long)_o.ResetTimeout.TotalNanoseconds;
        while (DdsParticipant.Matched(_resetWriter, true) <= 0)
        {
            if (MonotonicClock.NowNs > deadline)
                throw new InvalidOperationException($"no simulator node subscribes to {_o.ResetTopic}: this robot cannot reset its world");
            Thread.Sleep(2);
        }
        uint id = ++_nextResetId;
        // ids are unique per link instance: mix in the process id so that two links never collide on one node
        id = (uint)(Environment.ProcessId << 16) ^ id;
        _reset->ResetId = id;
        _reset->Seed = seed;
        // Resent every 250 ms until acknowledged: a reader that has not yet discovered this writer drops what it sends
        // (volatile durability), even though the writer already matched it. The node serves each id once.
        SceneStatusView? ack = null;
        long resendAt = 0;
        while ((ack = _scene) is null || ack.ResetId != id)
        {
            long now = MonotonicClock.NowNs;
            if (now > deadline)
                throw new InvalidOperationException($"the simulator node did not acknowledge reset {id} (seed {seed}) on {_o.SceneTopic} within {_o.ResetTimeout.TotalSeconds:0.#} s " +
                    $"({Interlocked.Read(ref _scenes)} scene statuses received, last acknowledging reset {_scene?.ResetId.ToString() ?? "none"}; reset readers matched: {DdsParticipant.Matched(_resetWriter, true)})");
            if (now >= resendAt)
            {
                int rc = Native.Write(_resetWriter, _reset);
                if (rc < 0) throw new InvalidOperationException($"could not publish the reset request: {Native.Describe(rc)}");
                resendAt = now + 250_000_000;
            }
            Thread.Sleep(1);
        }
        // a joint state received after the acknowledgement reflects the reset arm
        while (_states.LatestReceivedNs <= ack.ReceivedNs || !_states.Fresh())
        {
            if (MonotonicClock.NowNs > deadline) throw new InvalidOperationException("no joint state after the world reset");
            Thread.Sleep(1);
        }
        _states.MarkFresh();
    }

    /// <summary>Receiver thread: keeps the newest valid scene status.</summary>
    public void Drain()
    {
        while (true)
        {
            int r = Native.Take(Reader, out void* p, out _);
            if (r == 0 || r < 0) return;
            if (r != 1) continue;
            try
            {
                var view = ParseScene((SceneStatusMsg*)p);
                if (view is not null) { _scene = view; Interlocked.Increment(ref _scenes); }
            }
            finally { Native.ReturnLoan(Reader, p); }
        }
    }

    internal static SceneStatusView? ParseScene(SceneStatusMsg* m)
    {
        int n = (int)m->ObjectNames.Length;
        if (m->ObjectKinds.Length != n || m->ObjectColors.Length != n || m->Poses.Length != 7 * n || m->HalfSizes.Length != 3 * n) return null;
        var names = (byte**)m->ObjectNames.Buffer;
        var kinds = (byte**)m->ObjectKinds.Buffer;
        var colors = (byte**)m->ObjectColors.Buffer;
        var poses = (double*)m->Poses.Buffer;
        var half = (double*)m->HalfSizes.Buffer;
        var objects = ImmutableArray.CreateBuilder<SceneObject>(n);
        for (int i = 0; i < n; i++)
        {
            var p = poses + 7 * i;
            var h = half + 3 * i;
            var color = Native.ToManaged(colors[i]);
            objects.Add(new SceneObject(Native.ToManaged(names[i]) ?? "", Native.ToManaged(kinds[i]) ?? "", string.IsNullOrEmpty(color) ? null : color,
                new Pose(new Vec3(p[0], p[1], p[2]), new Quat(p[3], p[4], p[5], p[6])), new Vec3(h[0], h[1], h[2])));
        }
        long now = MonotonicClock.NowNs;
        return new SceneStatusView(m->ResetId, m->Seed, m->SimTime, new SceneSnapshot(now, objects.MoveToImmutable()), now);
    }

    /// <summary>Frees the reset request; only after the participant (and so every writer) is gone.</summary>
    public void Dispose() => _mem.Dispose();
}
