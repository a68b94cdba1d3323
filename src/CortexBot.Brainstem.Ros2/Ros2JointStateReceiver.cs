using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// The link's state side: sensor_msgs/JointState on <see cref="Ros2Options.JointStatesTopic"/> (best effort, so it
/// matches any publisher), mapped to the arm's joints by name, never by position. A message lacking one of the arm's
/// joints, with non-finite values or inconsistent lengths is rejected and counted. States without velocities get
/// velocities differentiated from the positions.
/// <para>Threads: <see cref="Drain"/> and <see cref="Accept"/> run on one receiving thread at a time and publish into a
/// seqlock-protected buffer: with <c>listen</c>, DDS's own (a DATA_AVAILABLE listener: Cyclone's receive thread takes
/// the sample as it delivers it, no wake-up of another thread between the wire and the buffer); else the caller's,
/// which drains it. <see cref="Read"/>, <see cref="LastReadFresh"/> and <see cref="MarkFresh"/> belong to the control
/// thread and allocate nothing.</para>
/// </summary>
internal sealed unsafe class Ros2JointStateReceiver : IDisposable
{
    private GCHandle _self;
    private int _listening;
    // one Drain at a time (the listener's calls never overlap; this covers the first drain beside them and callers
    // that drain themselves); uncontended, it costs next to nothing
    private readonly Lock _drainGate = new();
    private readonly Ros2Options _o;
    private readonly string[] _joints;
    private readonly byte[][] _jointUtf8;
    private readonly byte[][] _gripperUtf8;
    private readonly int _dof;
    private readonly long _staleNs;

    // seqlock-protected latest state (written by the receiver thread)
    private long _seq;
    private readonly double[] _pos, _vel;
    private double _grip;
    private long _stampNs;       // monotonic receive time
    private long _acceptedCount;
    // receiver scratch and name map (receiver thread only)
    private readonly int[] _map;
    private readonly double[] _rxPos, _rxVel;
    private readonly int[] _gripMap;
    // the last accepted positions and their time, to differentiate states that carry no velocities
    private readonly double[] _prevPos;
    private long _prevStampNs, _prevReceivedNs;
    private bool _havePrev;

    // control-thread state
    private bool _lastFresh;
    private bool _everFresh;
    private long _staleSinceLastFresh;

    // counters
    private long _missing, _nonFinite, _malformed, _staleReads, _reconnects;
    private volatile string? _lastProblem;

    /// <param name="listen">Take the states on DDS's thread as they are delivered (the link); false: the caller drains.</param>
    public Ros2JointStateReceiver(DdsParticipant dds, Ros2Options options, string[] armJoints, bool listen = false)
    {
        _o = options;
        _joints = armJoints;
        _dof = _joints.Length;
        _jointUtf8 = [.. _joints.Select(Encoding.UTF8.GetBytes)];
        _gripperUtf8 = [.. options.GripperJoints.Select(Encoding.UTF8.GetBytes)];
        _pos = new double[_dof];
        _vel = new double[_dof];
        _rxPos = new double[_dof];
        _rxVel = new double[_dof];
        _prevPos = new double[_dof];
        _map = new int[_dof];
        _gripMap = new int[_gripperUtf8.Length];
        _staleNs = (long)options.StaleAfter.TotalNanoseconds;
        Reader = dds.Reader(RosType.JointState, options.JointStatesTopic, RosQos.SensorData);
        if (listen)
        {
            _self = GCHandle.Alloc(this);
            int rc = Native.SetDataListener(Reader, &OnDataAvailable, (void*)GCHandle.ToIntPtr(_self));
            if (rc < 0)
            {
                _self.Free();
                throw new InvalidOperationException($"Cyclone DDS could not set the joint states' listener: {Native.Describe(rc)}");
            }
            _listening = 1;
            // a state delivered before the listener was set raised no call: take it now
            Drain();
        }
    }

    /// <summary>DDS's thread: a JointState was delivered. Never lets an exception into native code.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnDataAvailable(int reader, void* arg)
    {
        try
        {
            if (GCHandle.FromIntPtr((nint)arg).Target is Ros2JointStateReceiver r) r.Drain();
        }
        catch (Exception e)
        {
            if (GCHandle.FromIntPtr((nint)arg).Target is Ros2JointStateReceiver r) r._lastProblem = $"receiving joint states failed: {e.Message}";
        }
    }

    /// <summary>Removes the listener (waiting for a call in progress) before its handle goes; the reader goes with the participant.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _listening, 0) == 0) return;
        Native.SetDataListener(Reader, null, null);
        _self.Free();
    }

    /// <summary>The DDS reader, for the link's waitset.</summary>
    public int Reader { get; }

    /// <summary>The latest reason a joint state was rejected, for diagnostics.</summary>
    public string? LastProblem => _lastProblem;

    public long Accepted => Interlocked.Read(ref _acceptedCount);
    public long RejectedMissingJoints => Interlocked.Read(ref _missing);
    public long RejectedNonFinite => Interlocked.Read(ref _nonFinite);
    public long RejectedMalformed => Interlocked.Read(ref _malformed);
    public long StaleReads => Interlocked.Read(ref _staleReads);
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>When the newest accepted state was received (MonotonicClock ns).</summary>
    public long LatestReceivedNs => Volatile.Read(ref _stampNs);

    /// <summary>The newest accepted state is within <see cref="Ros2Options.StaleAfter"/>.</summary>
    public bool Fresh() => MonotonicClock.NowNs - Volatile.Read(ref _stampNs) <= _staleNs;

    /// <summary>Whether the control thread's latest <see cref="Read"/> found a fresh state.</summary>
    public bool LastReadFresh => _lastFresh;

    /// <summary>Control thread: a fresh state is known to be in (after a world reset), so commands may go out again.</summary>
    public void MarkFresh() => _lastFresh = true;

    /// <summary>Control thread: the newest state; false (and counted) when it is stale, missing or not finite.</summary>
    public bool Read(RobotStateBuffer state)
    {
        long s1, s2;
        do
        {
            s1 = Volatile.Read(ref _seq);
            if ((s1 & 1) != 0) { Thread.SpinWait(1); s2 = s1 - 1; continue; }
            for (int i = 0; i < _dof; i++)
            {
                state.Position[i] = _pos[i];
                state.Velocity[i] = _vel[i];
            }
            state.GripperOpening = _grip;
            state.StampNs = _stampNs;
            Interlocked.MemoryBarrier();
            s2 = Volatile.Read(ref _seq);
        } while (s1 != s2);

        bool fresh = s1 > 0 && MonotonicClock.NowNs - state.StampNs <= _staleNs && state.IsFinite();
        if (!fresh) { _staleReads++; _staleSinceLastFresh++; }
        else
        {
            if (_everFresh && !_lastFresh && _staleSinceLastFresh > 0) _reconnects++;
            _everFresh = true;
            _staleSinceLastFresh = 0;
        }
        _lastFresh = fresh;
        return fresh;
    }

    /// <summary>The receiving thread: takes every waiting JointState.</summary>
    public void Drain()
    {
        lock (_drainGate)
        {
            while (true)
            {
                int r = Native.Take(Reader, out void* p, out _);
                if (r == 0 || r < 0) return;
                if (r != 1) continue;
                try { Accept((JointStateMsg*)p); }
                finally { Native.ReturnLoan(Reader, p); }
            }
        }
    }

    /// <summary>Validates one JointState and publishes it to the control thread. Receiver thread; visible for tests.</summary>
    internal void Accept(JointStateMsg* m)
    {
        int n = (int)m->Name.Length;
        if (m->Position.Length != n || (m->Velocity.Length != 0 && m->Velocity.Length != n) || (m->Effort.Length != 0 && m->Effort.Length != n)
            || (n > 0 && m->Name.Buffer == null) || (n > 0 && m->Position.Buffer == null))
        {
            { Interlocked.Increment(ref _malformed); Core.Telemetry.CortexBotMetrics.DdsStatesRejected.Add(1, new KeyValuePair<string, object?>("reason", "malformed")); }
            _lastProblem = $"malformed JointState: {n} names, {m->Position.Length} positions, {m->Velocity.Length} velocities, {m->Effort.Length} efforts";
            return;
        }
        var names = (byte**)m->Name.Buffer;
        var pos = (double*)m->Position.Buffer;
        var vel = (double*)m->Velocity.Buffer;
        for (int i = 0; i < _dof; i++)
        {
            int k = Find(names, n, _jointUtf8[i], _map[i]);
            if (k < 0) { RejectMissing(names, n, _joints[i]); return; }
            _map[i] = k;
        }
        for (int g = 0; g < _gripMap.Length; g++)
        {
            int k = Find(names, n, _gripperUtf8[g], _gripMap[g]);
            if (k < 0) { RejectMissing(names, n, _o.GripperJoints[g]); return; }
            _gripMap[g] = k;
        }
        double grip = 0;
        bool finite = true;
        long received = MonotonicClock.NowNs, stamp = m->Header.Stamp.TotalNanoseconds;
        // joint_state_broadcaster sends velocities only where the hardware exports them. Without them the screens that
        // need speed (obstruction, joint limits) would see a still arm, so differentiate the positions instead: over the
        // header stamps when they advance, else over the receive times.
        double dt = 0;
        if (m->Velocity.Length == 0 && _havePrev)
            dt = (stamp > _prevStampNs && _prevStampNs > 0 ? stamp - _prevStampNs : received - _prevReceivedNs) * 1e-9;
        bool differentiate = dt > 0 && dt < 0.25;
        for (int i = 0; i < _dof; i++)
        {
            _rxPos[i] = pos[_map[i]];
            _rxVel[i] = m->Velocity.Length != 0 ? vel[_map[i]] : differentiate ? (_rxPos[i] - _prevPos[i]) / dt : 0;
            finite &= double.IsFinite(_rxPos[i]) && double.IsFinite(_rxVel[i]);
        }
        for (int g = 0; g < _gripMap.Length; g++) grip += pos[_gripMap[g]];
        finite &= double.IsFinite(grip);
        if (!finite)
        {
            { Interlocked.Increment(ref _nonFinite); Core.Telemetry.CortexBotMetrics.DdsStatesRejected.Add(1, new KeyValuePair<string, object?>("reason", "non_finite")); }
            _lastProblem = "non-finite joint state";
            return;
        }

        Array.Copy(_rxPos, _prevPos, _dof);
        _prevStampNs = stamp;
        _prevReceivedNs = received;
        _havePrev = true;

        long s = _seq;
        Volatile.Write(ref _seq, s + 1);
        Interlocked.MemoryBarrier();
        Array.Copy(_rxPos, _pos, _dof);
        Array.Copy(_rxVel, _vel, _dof);
        _grip = grip;
        _stampNs = received;
        Interlocked.MemoryBarrier();
        Volatile.Write(ref _seq, s + 2);
        { Interlocked.Increment(ref _acceptedCount); Core.Telemetry.CortexBotMetrics.DdsStatesReceived.Add(1); }
    }

    private static int Find(byte** names, int n, byte[] want, int hint)
    {
        if (hint >= 0 && hint < n && Native.Equals(names[hint], want)) return hint;
        for (int k = 0; k < n; k++)
            if (Native.Equals(names[k], want)) return k;
        return -1;
    }

    private void RejectMissing(byte** names, int n, string missing)
    {
        { Interlocked.Increment(ref _missing); Core.Telemetry.CortexBotMetrics.DdsStatesRejected.Add(1, new KeyValuePair<string, object?>("reason", "missing_joints")); }
        // diagnostics only: allocates, on the receiver thread
        var have = new string[n];
        for (int k = 0; k < n; k++) have[k] = Native.ToManaged(names[k]) ?? "";
        _lastProblem = $"joint '{missing}' is not among the published joints [{string.Join(", ", have)}]; CortexBot's arm needs [{string.Join(", ", _joints.Concat(_o.GripperJoints))}] (mapped by name)";
    }
}
