using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Control;

/// <summary>
/// Records the episode trace on the control thread: every <see cref="Decimation"/>-th tick from the start tick, the
/// measured joint positions and gripper opening (and, when given, the poses of the scene's movable objects) go into a
/// buffer allocated once, here. The tick never allocates, locks
/// or waits; another thread reads the samples when the episode ends (<see cref="Read"/>).
/// </summary>
/// <remarks>
/// Sample k belongs to tick <c>start + k * Decimation</c>, so its robot time is exact in both pacings. A sample whose tick
/// ran before the control thread saw <see cref="Begin"/> (real-time pacing: a few ms after the start) is NaN. Beyond the
/// buffer's capacity nothing more is recorded. One trace at a time: <see cref="Begin"/> starts the next one.
/// </remarks>
public sealed class TraceRecorder
{
    private readonly float[] _buffer;
    private readonly float[] _poses;
    private readonly IObjectPoses? _objects;
    private readonly int[] _objectIndex;
    private readonly int _width;
    private readonly int _capacity;
    private long _armedStart = -1; // written by Begin (any thread)
    private long _start = -1;      // the control thread's adopted start, published for Read
    private int _count;            // samples written (including NaN gaps); published after the values
    private int _generation;       // bumped when a new start is adopted, so Read can tell its copy was not overwritten

    /// <param name="objects">Where the traced objects' poses are read each sample (allocation-free); null traces joints only.</param>
    /// <param name="objectNames">The objects to trace (names <paramref name="objects"/> knows; unknown ones are left out).</param>
    public TraceRecorder(IReadOnlyList<string> jointNames, double controlRateHz, double sampleRateHz, int maxSamples = EpisodeTrace.MaxSamples,
        IObjectPoses? objects = null, IReadOnlyList<string>? objectNames = null)
    {
        ArgumentNullException.ThrowIfNull(jointNames);
        if (!(sampleRateHz > 0 && sampleRateHz <= controlRateHz))
            throw new Core.ConfigurationException($"trace rate must be above 0 and at most the control rate {controlRateHz} Hz, got {sampleRateHz}");
        if (maxSamples is < 1 or > EpisodeTrace.MaxSamples)
            throw new ArgumentOutOfRangeException(nameof(maxSamples), $"1 to {EpisodeTrace.MaxSamples} samples");
        JointNames = [.. jointNames];
        ControlRateHz = controlRateHz;
        Decimation = Math.Max(1, (int)Math.Round(controlRateHz / sampleRateHz));
        SamplePeriodS = Decimation / controlRateHz;
        _width = JointNames.Length + 1;
        _capacity = maxSamples;
        _buffer = new float[_capacity * _width];
        // Names resolve to indices here, off the control thread; the tick then reads by index.
        var known = objects is null || objectNames is null ? [] : objectNames.Where(n => objects.IndexOf(n) >= 0).Take(EpisodeTrace.MaxObjects).ToArray();
        _objects = known.Length > 0 ? objects : null;
        ObjectNames = [.. known];
        _objectIndex = [.. known.Select(n => objects!.IndexOf(n))];
        _poses = new float[_capacity * known.Length * EpisodeTrace.PoseWidth];
    }

    public ImmutableArray<string> ObjectNames { get; }

    public ImmutableArray<string> JointNames { get; }

    public double ControlRateHz { get; }

    /// <summary>Control ticks per sample.</summary>
    public int Decimation { get; }

    public double SamplePeriodS { get; }

    public int Capacity => _capacity;

    /// <summary>Start a new trace whose sample 0 is tick <paramref name="startTick"/>; any thread.</summary>
    public void Begin(long startTick)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startTick);
        Volatile.Write(ref _armedStart, startTick);
    }

    /// <summary>Called by the control loop on every tick with a valid measurement.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Sample(long tick, RobotStateBuffer state)
    {
        long armed = Volatile.Read(ref _armedStart);
        if (armed != _start)
        {
            Volatile.Write(ref _count, 0);
            Interlocked.Increment(ref _generation);
            Volatile.Write(ref _start, armed);
        }
        if (armed < 0 || tick < armed)
            return;
        long since = tick - armed;
        if (since % Decimation != 0)
            return;
        long k = since / Decimation;
        if (k >= _capacity)
            return;
        int n = _count;
        int poseWidth = _objectIndex.Length * EpisodeTrace.PoseWidth;
        for (long gap = n; gap < k; gap++)
        {
            _buffer.AsSpan((int)gap * _width, _width).Fill(float.NaN);
            _poses.AsSpan((int)gap * poseWidth, poseWidth).Fill(float.NaN);
        }
        int at = (int)k * _width;
        var q = state.Position;
        for (int j = 0; j < _width - 1; j++)
            _buffer[at + j] = (float)q[j];
        _buffer[at + _width - 1] = (float)state.GripperOpening;
        if (_objects is not null)
        {
            int p = (int)k * poseWidth;
            for (int o = 0; o < _objectIndex.Length; o++, p += EpisodeTrace.PoseWidth)
            {
                if (_objects.TryGetPose(_objectIndex[o], out var pose))
                {
                    _poses[p] = (float)pose.Position.X; _poses[p + 1] = (float)pose.Position.Y; _poses[p + 2] = (float)pose.Position.Z;
                    _poses[p + 3] = (float)pose.Orientation.W; _poses[p + 4] = (float)pose.Orientation.X;
                    _poses[p + 5] = (float)pose.Orientation.Y; _poses[p + 6] = (float)pose.Orientation.Z;
                }
                else _poses.AsSpan(p, EpisodeTrace.PoseWidth).Fill(float.NaN);
            }
        }
        Volatile.Write(ref _count, (int)k + 1);
    }

    /// <summary>
    /// The trace begun at <paramref name="startTick"/> up to (not including) tick <paramref name="endTick"/>, copied off the
    /// control thread; null when the recorder has moved on to another trace (or never adopted this one).
    /// </summary>
    public EpisodeTrace? Read(long startTick, long endTick)
    {
        int generation = Volatile.Read(ref _generation);
        if (Volatile.Read(ref _start) != startTick)
            return null;
        int count = Volatile.Read(ref _count);
        long ticks = Math.Max(0, endTick - startTick);
        int wanted = (int)Math.Min(count, (ticks + Decimation - 1) / Decimation);
        var copy = new float[wanted * _width];
        Array.Copy(_buffer, copy, copy.Length);
        var poses = new float[wanted * _objectIndex.Length * EpisodeTrace.PoseWidth];
        Array.Copy(_poses, poses, poses.Length);
        if (Volatile.Read(ref _generation) != generation || Volatile.Read(ref _start) != startTick)
            return null;
        return new EpisodeTrace(JointNames, ControlRateHz, SamplePeriodS, copy, ObjectNames, poses);
    }
}
