using System.Diagnostics;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Learning.Runtime;

public sealed record ChunkExecutionOptions
{
    /// <summary>Setpoints of a chunk executed before the next chunk is requested (the rest overlaps the next chunk).</summary>
    public int ExecuteSteps { get; init; } = 8;
    /// <summary>Setpoints over which a new chunk is cross-faded in from the executing one.</summary>
    public int BlendSteps { get; init; } = 4;
    /// <summary>
    /// Lockstep (fast simulation): the tick that needs a requested chunk waits for it, so a run is deterministic and
    /// independent of CPU speed. Real time (false): the tick never waits; it keeps executing the current chunk (holding
    /// its last setpoint) until the next one is ready.
    /// </summary>
    public bool Lockstep { get; init; }
}

/// <summary>
/// Turns a chunked action expert into a command every control tick. Setpoints come at the policy rate and are
/// interpolated linearly at the control rate. A new chunk is requested every <see cref="ChunkExecutionOptions.ExecuteSteps"/>
/// setpoints from the observation of that tick; inference runs on a worker thread; the new chunk is aligned to its
/// request tick (setpoints whose time has passed are skipped) and cross-faded in over
/// <see cref="ChunkExecutionOptions.BlendSteps"/> setpoints, so the command has no jumps at chunk boundaries.
/// <see cref="Step"/> allocates nothing and takes no lock.
/// <para>For a trajectory controller, every adopted chunk is also laid out as one trajectory (<see cref="TakeTrajectory"/>):
/// the arm positions the ticks will command from the adopting tick to the chunk's end (cross-fade included), at the
/// chunk's setpoint times, positions only (the controller interpolates linearly, as the ticks do). It is written in place
/// into one of two preallocated trajectories.</para>
/// </summary>
public sealed class ChunkedPolicyExecutor : IDisposable
{
    private readonly IActionExpert _expert;
    private readonly ArmKinematics _kin;
    private readonly ChunkExecutionOptions _options;
    private readonly int _h, _a, _ticksPerSetpoint;
    private float[] _cur, _old, _spare;
    private long _curStart, _oldStart, _blendStart = long.MinValue, _nextRequest;
    private readonly float[] _reqObs;
    private long _reqTick, _beginTick;
    private Vec3 _objectStart;
    private readonly double _controlPeriod;
    private volatile bool _busy, _ready;
    private readonly SemaphoreSlim _request = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private readonly Thread _worker;
    private volatile bool _stop;
    private Exception? _workerError;
    private readonly long[] _latencyTicks = new long[1 << 16];
    private int _latencyCount;
    private long _stalledTicks;
    private readonly ArmTrajectory _trajA, _trajB;
    private ArmTrajectory? _starting;
    private bool _useA;

    public ChunkedPolicyExecutor(IActionExpert expert, ArmKinematics kinematics, double controlRateHz, ChunkExecutionOptions? options = null)
    {
        _expert = expert;
        _kin = kinematics;
        _options = options ?? new ChunkExecutionOptions();
        _h = expert.Horizon;
        _a = expert.ActionSize;
        if (_options.ExecuteSteps < 1 || _options.ExecuteSteps > _h) throw new Core.ConfigurationException($"execute steps must be within 1..{_h}, got {_options.ExecuteSteps}");
        _ticksPerSetpoint = Math.Max(1, (int)Math.Round(controlRateHz / expert.Manifest.PolicyHz));
        _controlPeriod = 1.0 / controlRateHz;
        _cur = new float[_h * _a];
        _old = new float[_h * _a];
        _spare = new float[_h * _a];
        _reqObs = new float[expert.ObservationSize];
        _trajA = new ArmTrajectory(_a - 1, _h + 1, "policy chunk") { HasDerivatives = false };
        _trajB = new ArmTrajectory(_a - 1, _h + 1, "policy chunk") { HasDerivatives = false };
        _worker = new Thread(WorkerLoop) { IsBackground = true, Name = "cerebellum-policy" };
        _worker.Start();
    }

    public int TicksPerSetpoint => _ticksPerSetpoint;
    public ArmKinematics Kinematics => _kin;
    /// <summary>Ticks on which a real-time tick found its next chunk not ready yet (it kept the executing chunk).</summary>
    public long StalledTicks => Interlocked.Read(ref _stalledTicks);
    public int Chunks => Volatile.Read(ref _latencyCount);

    /// <summary>Chunk inference latencies so far, microseconds (allocates; call off the control thread).</summary>
    public double[] LatenciesUs()
    {
        int n = Math.Min(Volatile.Read(ref _latencyCount), _latencyTicks.Length);
        return [.. _latencyTicks.Take(n).Select(t => t * 1e6 / Stopwatch.Frequency)];
    }

    /// <summary>Computes the first chunk synchronously (before the first tick) from the current observation.</summary>
    public void Begin(long tick, RobotStateBuffer state, Vec3 objectPosition, double objectYaw, Vec3 placePosition)
    {
        // Reuse across episodes: a request of the previous run may still be in flight (real time); let it land first.
        if (_busy && !_done.Wait(TimeSpan.FromSeconds(5))) throw new InvalidOperationException("policy worker did not finish its previous chunk");
        while (_done.Wait(0)) { }
        _beginTick = tick;
        _objectStart = objectPosition;
        // No command of this skill yet: the arm holds where it is.
        FillObservation(tick, state, objectPosition, objectYaw, placePosition, state.Position);
        _reqTick = tick;
        _busy = true;
        _ready = false;
        _request.Release();
        _done.Wait();
        ThrowIfWorkerFailed();
        Swap(tick, tick, first: true);
        _primed = _firstRequested = true;
        _nextRequest = tick + (long)_options.ExecuteSteps * _ticksPerSetpoint;
    }

    public bool Lockstep => _options.Lockstep;

    /// <summary>
    /// Starts without waiting for inference (real time): the first chunk is requested by the next <see cref="Step"/> from
    /// that tick's observation, and until it lands Step leaves the command untouched (the loop keeps its last command).
    /// A chunk of a previous run still in flight is dropped when it lands.
    /// </summary>
    public void BeginDeferred()
    {
        _primed = false;
        _firstRequested = false;
        _blendStart = long.MinValue;
    }

    private bool _primed = true, _firstRequested = true;

    /// <summary>
    /// One control tick: writes the command for <paramref name="tick"/>, or (after <see cref="BeginDeferred"/>, until the
    /// first chunk lands) leaves it untouched and returns false. Allocation-free.
    /// </summary>
    public bool Step(long tick, RobotStateBuffer state, Vec3 objectPosition, double objectYaw, Vec3 placePosition, JointCommandBuffer command)
    {
        if (!_primed)
        {
            if (_busy && !_ready) return false;
            if (_busy && !_firstRequested) { _ready = false; _busy = false; } // the previous run's chunk: drop it
            if (!_firstRequested)
            {
                _beginTick = tick;
                _objectStart = objectPosition;
                FillObservation(tick, state, objectPosition, objectYaw, placePosition, command.Position);
                _reqTick = tick;
                _ready = false;
                _busy = true;
                _firstRequested = true;
                _request.Release();
                return false;
            }
            ThrowIfWorkerFailed();
            Swap(_reqTick, tick, first: true);
            _primed = true;
            _nextRequest = _reqTick + (long)_options.ExecuteSteps * _ticksPerSetpoint;
        }
        if (tick >= _nextRequest && !_busy)
        {
            // The command buffer still holds the previous tick's command.
            FillObservation(tick, state, objectPosition, objectYaw, placePosition, command.Position);
            _reqTick = tick;
            _busy = true;
            _ready = false;
            _request.Release();
            _nextRequest = tick + (long)_options.ExecuteSteps * _ticksPerSetpoint;
            if (_options.Lockstep) _done.Wait();
        }
        if (_ready)
        {
            if (!_options.Lockstep) _done.Wait(0);
            ThrowIfWorkerFailed();
            Swap(_reqTick, tick, first: false);
        }
        else if (_busy && tick - _curStart >= (long)(_h - 1) * _ticksPerSetpoint)
        {
            // Real time only: the executing chunk ran out before the next arrived; its last setpoint is held.
            Interlocked.Increment(ref _stalledTicks);
        }

        double wBlend = BlendWeight(tick);
        if (wBlend >= 1) _blendStart = long.MinValue;
        for (int k = 0; k < _a; k++)
        {
            double v = Command(tick, k, wBlend);
            if (k < _a - 1) command.Position[k] = v;
            else command.GripperOpening = v;
        }
        return true;
    }

    /// <summary>The chunk adopted at the latest <see cref="Step"/> (or <see cref="Begin"/>) as a trajectory, taken once.</summary>
    public ArmTrajectory? TakeTrajectory()
    {
        var t = _starting;
        _starting = null;
        return t;
    }

    private double BlendWeight(long tick)
    {
        if (_blendStart == long.MinValue) return 1;
        long blendTicks = (long)_options.BlendSteps * _ticksPerSetpoint;
        return blendTicks > 0 ? Math.Clamp((double)(tick - _blendStart) / blendTicks, 0, 1) : 1;
    }

    /// <summary>Action <paramref name="k"/> commanded at <paramref name="tick"/>: the chunks cross-faded, kept inside the arm's ranges (the safety gate then limits rates).</summary>
    private double Command(long tick, int k, double wBlend)
    {
        double v = Sample(_cur, _curStart, tick, k);
        if (wBlend < 1) v = wBlend * v + (1 - wBlend) * Sample(_old, _oldStart, tick, k);
        if (k < _a - 1) { var j = _kin.Arm.Joints[k]; return Math.Clamp(v, j.Lower, j.Upper); }
        return Math.Clamp(v, 0, _kin.Arm.GripperMaxOpening);
    }

    /// <summary>
    /// Lays out what the ticks from <paramref name="now"/> will command for the arm (the chunk's setpoint ticks after it,
    /// to its last setpoint) as the next trajectory; in place, allocation-free.
    /// </summary>
    private void LayOutTrajectory(long now)
    {
        var t = _useA ? _trajA : _trajB;
        _useA = !_useA;
        int n = _a - 1, count = 0;
        long end = _curStart + (long)(_h - 1) * _ticksPerSetpoint;
        for (int i = 0; i < _h && count < t.Capacity; i++)
        {
            long tick = _curStart + (long)i * _ticksPerSetpoint;
            if (tick <= now) continue;
            Point(t, count++, tick, now, n);
        }
        // a chunk that landed after its own end still ends at its last setpoint
        if (count == 0) Point(t, count++, Math.Max(end, now + 1), now, n);
        t.Count = count;
        _starting = t;
    }

    private void Point(ArmTrajectory t, int index, long tick, long now, int n)
    {
        t.TimeFromStart[index] = (tick - now) * _controlPeriod;
        double w = BlendWeight(tick);
        for (int k = 0; k < n; k++) t.Position[index * n + k] = Command(tick, k, w);
    }

    private double Sample(float[] chunk, long start, long tick, int k)
    {
        double u = Math.Max(0, (double)(tick - start) / _ticksPerSetpoint);
        int i = (int)Math.Floor(u);
        if (i >= _h - 1) return chunk[(_h - 1) * _a + k];
        double f = u - i;
        return chunk[i * _a + k] * (1 - f) + chunk[(i + 1) * _a + k] * f;
    }

    /// <summary>Adopts the chunk the worker wrote: aligned to its request tick, cross-faded in from <paramref name="now"/>.</summary>
    private void Swap(long start, long now, bool first)
    {
        // old <- cur, cur <- spare (the freshly written chunk), spare <- old's array.
        (_old, _cur, _spare) = (_cur, _spare, _old);
        _oldStart = _curStart;
        _curStart = start;
        _blendStart = first ? long.MinValue : now;
        _ready = false;
        _busy = false;
        LayOutTrajectory(now);
    }

    private void FillObservation(long tick, RobotStateBuffer state, Vec3 objectPosition, double objectYaw, Vec3 placePosition, double[] lastCommand)
    {
        var tcp = _kin.Forward(state.Position);
        PolicyLayout.FillObservation(_reqObs, state, tcp, objectPosition, objectYaw, placePosition, lastCommand, _objectStart, (tick - _beginTick) * _controlPeriod);
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _request.Wait();
            if (_stop) return;
            try
            {
                _reqObs.CopyTo(_expert.Observation);
                long t0 = Stopwatch.GetTimestamp();
                var chunk = _expert.Infer();
                long dt = Stopwatch.GetTimestamp() - t0;
                chunk.CopyTo(_spare);
                int n = _latencyCount;
                _latencyTicks[n % _latencyTicks.Length] = dt;
                Volatile.Write(ref _latencyCount, n + 1);
            }
            catch (Exception e) { _workerError = e; }
            _ready = true;
            _done.Release();
        }
    }

    private void ThrowIfWorkerFailed()
    {
        if (_workerError is { } e) throw new InvalidOperationException("policy inference failed: " + e.Message, e);
    }

    public void Dispose()
    {
        _stop = true;
        _request.Release();
        _worker.Join(TimeSpan.FromSeconds(2));
        _request.Dispose();
        _done.Dispose();
    }
}
