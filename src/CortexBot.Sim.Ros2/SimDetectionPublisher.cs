using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2;

/// <summary>
/// The perception node of <c>sim serve --as-robot</c>: how often it sees the scene, how noisy and how late.
/// </summary>
public sealed record SimDetectionOptions
{
    /// <summary>Frames per second (a perception node's typical 10-30 Hz).</summary>
    public double RateHz { get; init; } = 15;
    /// <summary>Standard deviation (metres) of the Gaussian noise added to each position axis of each detection.</summary>
    public double NoiseStd { get; init; }
    /// <summary>How long after capture a frame is published (its header stamp stays the capture time).</summary>
    public double LatencyMs { get; init; }
    /// <summary>Seed of the noise.</summary>
    public int Seed { get; init; } = 1;

    public SimDetectionOptions Validate()
    {
        if (!double.IsFinite(RateHz) || RateHz <= 0 || RateHz > 100)
            throw new ConfigurationException($"--detection-rate must be in (0, 100] Hz, got {RateHz}");
        if (!double.IsFinite(NoiseStd) || NoiseStd < 0 || NoiseStd > 0.5)
            throw new ConfigurationException($"--detection-noise must be between 0 and 0.5 metres, got {NoiseStd}");
        if (!double.IsFinite(LatencyMs) || LatencyMs < 0 || LatencyMs > 5000)
            throw new ConfigurationException($"--detection-latency must be between 0 and 5000 ms, got {LatencyMs}");
        return this;
    }
}

/// <summary>
/// Publishes what a perception node watching the simulated table would: vision_msgs/Detection3DArray with every scene
/// object (the cubes and the bin: a real perception node sees containers too; a brain that takes fixtures from a file
/// may ignore the bin's detection), class id = the object's name, score 1, the pose with Gaussian position noise, the full
/// box size. Captures read the world's published pose copy (a short lock, no allocation; never the physics tick's work),
/// so neither capturing nor publishing runs on or delays the tick. Frames wait in a preallocated ring until their
/// latency has passed; steady publishing allocates nothing.
/// </summary>
internal sealed class SimDetectionPublisher : IDisposable
{
    private readonly MuJoCoWorld _world;
    private readonly SimDetectionOptions _o;
    private readonly Ros2DetectionWriter _writer;
    private readonly string[] _names;
    private readonly int[] _index;
    private readonly Vec3[] _sizes;
    private readonly Slot[] _ring;
    private readonly Random _rng;
    private double _spare = double.NaN;
    private long _published, _failures;
    private volatile string? _problem;

    private sealed class Slot(int n)
    {
        public readonly Detection[] Detections = new Detection[n];
        public long StampWallNs, DueNs;
    }

    public SimDetectionPublisher(MuJoCoWorld world, DdsParticipant dds, string topic, SimDetectionOptions options)
    {
        _world = world;
        _o = options.Validate();
        var objects = world.Snapshot().Objects;
        _names = [.. objects.Select(o => o.Name)];
        _index = [.. objects.Select(o => world.IndexOf(o.Name))];
        _sizes = [.. objects.Select(o => o.HalfSize * 2)];
        // frames in flight: those captured within one latency, plus the one being captured and one spare
        int slots = (int)Math.Ceiling(options.LatencyMs / 1000 * options.RateHz) + 2;
        _ring = [.. Enumerable.Range(0, slots).Select(_ => new Slot(_names.Length))];
        _rng = new Random(options.Seed);
        _writer = new Ros2DetectionWriter(dds, topic, "world", options.NoiseStd, _names.Length);
    }

    public SimDetectionOptions Options => _o;
    public long FramesPublished => Interlocked.Read(ref _published);
    public long Failures => Interlocked.Read(ref _failures);
    /// <summary>Why the latest frame could not be published (null: none failed).</summary>
    public string? Problem => _problem;

    /// <summary>Captures at the rate and publishes each frame its latency later, until <paramref name="ct"/> is cancelled (its own thread).</summary>
    public void Run(CancellationToken ct)
    {
        long period = (long)(1e9 / _o.RateHz), latency = (long)(_o.LatencyMs * 1e6);
        long nextCapture = MonotonicClock.NowNs;
        int head = 0, pending = 0;
        while (!ct.IsCancellationRequested)
        {
            long now = MonotonicClock.NowNs;
            if (now >= nextCapture)
            {
                if (pending == _ring.Length)
                {
                    // cannot happen with the ring sized for the latency, unless this thread was stalled: drop the oldest
                    head = (head + 1) % _ring.Length;
                    pending--;
                }
                var s = _ring[(head + pending) % _ring.Length];
                Capture(s);
                s.DueNs = now + latency;
                pending++;
                nextCapture += period;
                if (nextCapture <= now) nextCapture = now + period; // stalled: keep the rate, do not burst
            }
            while (pending > 0 && _ring[head].DueNs <= MonotonicClock.NowNs)
            {
                Publish(_ring[head]);
                head = (head + 1) % _ring.Length;
                pending--;
            }
            long wake = pending > 0 ? Math.Min(nextCapture, _ring[head].DueNs) : nextCapture;
            long waitNs = wake - MonotonicClock.NowNs;
            if (waitNs > 0 && ct.WaitHandle.WaitOne((int)Math.Max(1, (waitNs + 999_999) / 1_000_000))) return;
        }
    }

    /// <summary>Captures one frame and publishes it at once (the caller's thread; for tests).</summary>
    internal void CaptureAndPublish()
    {
        Capture(_ring[0]);
        Publish(_ring[0]);
    }

    private void Capture(Slot s)
    {
        s.StampWallNs = Ros2DetectionReceiver.WallNowNs();
        for (int i = 0; i < _names.Length; i++)
        {
            _world.TryGetPose(_index[i], out var pose);
            var p = pose.Position;
            if (_o.NoiseStd > 0) p = new Vec3(p.X + _o.NoiseStd * Gaussian(), p.Y + _o.NoiseStd * Gaussian(), p.Z + _o.NoiseStd * Gaussian());
            s.Detections[i] = new Detection(_names[i], 1.0, new Pose(p, pose.Orientation), _sizes[i]);
        }
    }

    private void Publish(Slot s)
    {
        int rc = _writer.Write(s.StampWallNs, s.Detections);
        if (rc >= 0) Interlocked.Increment(ref _published);
        else
        {
            Interlocked.Increment(ref _failures);
            _problem = $"could not publish detections: {Native.Describe(rc)}";
        }
    }

    /// <summary>A standard normal sample (Box-Muller, the second value kept for the next call).</summary>
    private double Gaussian()
    {
        if (!double.IsNaN(_spare))
        {
            double v = _spare;
            _spare = double.NaN;
            return v;
        }
        double u1 = 1.0 - _rng.NextDouble(), u2 = _rng.NextDouble();
        double r = Math.Sqrt(-2 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    public void Dispose() => _writer.Dispose();
}
