using CortexBot.Core;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// The robot's camera (when <see cref="Ros2Options.ReceiveImages"/>): subscribes sensor_msgs/Image (rgb8) on
/// <see cref="Ros2Options.ImageTopic"/>; a capture returns the newest valid frame, or fails clearly when none arrived or
/// it is older than <see cref="Ros2Options.ImageStaleAfter"/>. Garbled images are counted and ignored.
/// <para>Threads: <see cref="Drain"/> runs on the link's receiver thread; captures on any thread.</para>
/// </summary>
internal sealed unsafe class Ros2CameraReceiver
{
    private readonly Ros2Options _o;
    private volatile CameraFrame? _frame;
    private long _imagesAccepted, _imagesRejected;
    private volatile string? _lastImageProblem;

    /// <summary>Subscribes only when <see cref="Ros2Options.ReceiveImages"/>; otherwise every capture fails saying why.</summary>
    public Ros2CameraReceiver(DdsParticipant dds, Ros2Options options)
    {
        _o = options;
        if (options.ReceiveImages) Reader = dds.Reader(RosType.Image, options.ImageTopic, RosQos.SensorData);
    }

    /// <summary>The DDS reader, for the link's waitset; 0 when images are not received.</summary>
    public int Reader { get; }

    public long ImagesAccepted => Interlocked.Read(ref _imagesAccepted);
    public long ImagesRejected => Interlocked.Read(ref _imagesRejected);

    /// <summary>Why the latest image was rejected, for diagnostics.</summary>
    public string? LastImageProblem => _lastImageProblem;

    /// <summary>Size of the newest valid frame (0 before the first).</summary>
    public int Width => _frame?.Width ?? 0;
    public int Height => _frame?.Height ?? 0;

    /// <summary>The newest valid frame when it is fresh (within <see cref="Ros2Options.ImageStaleAfter"/>).</summary>
    public bool TryGetFrame(out CameraFrame frame, out string? problem)
    {
        frame = null!;
        if (!_o.ReceiveImages)
        {
            problem = $"the ROS 2 link does not subscribe {_o.ImageTopic} (images are received only for a planner with an mmproj)";
            return false;
        }
        var f = _frame;
        if (f is null)
        {
            long rejected = Interlocked.Read(ref _imagesRejected);
            problem = $"no valid image on {_o.ImageTopic} yet" + (rejected > 0 ? $" ({rejected} rejected, last: {_lastImageProblem})" : "");
            return false;
        }
        double age = (MonotonicClock.NowNs - f.StampNs) / 1e9;
        if (age > _o.ImageStaleAfter.TotalSeconds)
        {
            problem = $"the newest image on {_o.ImageTopic} is {age:0.0} s old (bound {_o.ImageStaleAfter.TotalSeconds:0.0} s)";
            return false;
        }
        frame = f;
        problem = null;
        return true;
    }

    /// <summary>The newest valid frame; fails with the reason when there is none or it is stale (never waits).</summary>
    public Task<CameraFrame> CaptureAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<CameraFrame>(cancellationToken);
        return TryGetFrame(out var frame, out var problem)
            ? Task.FromResult(frame)
            : Task.FromException<CameraFrame>(new InvalidOperationException(problem));
    }

    /// <summary>Receiver thread: takes every waiting image.</summary>
    public void Drain()
    {
        if (Reader <= 0) return;
        while (true)
        {
            int r = Native.Take(Reader, out void* p, out _);
            if (r == 0 || r < 0) return;
            if (r != 1) continue;
            try { AcceptImage((ImageMsg*)p); }
            finally { Native.ReturnLoan(Reader, p); }
        }
    }

    /// <summary>Validates one Image and makes it the newest frame, or counts and ignores it. Receiver thread; visible for tests.</summary>
    internal void AcceptImage(ImageMsg* m)
    {
        var frame = ParseImage(m, MonotonicClock.NowNs, out var problem);
        if (frame is null)
        {
            Interlocked.Increment(ref _imagesRejected);
            _lastImageProblem = problem;
            return;
        }
        _frame = frame;
        Interlocked.Increment(ref _imagesAccepted);
    }

    private const int MaxImageSide = 8192;

    /// <summary>An rgb8 Image as a frame (row padding removed), or null with the reason.</summary>
    internal static CameraFrame? ParseImage(ImageMsg* m, long stampNs, out string? problem)
    {
        if (!Native.Equals(m->Encoding, "rgb8"u8))
        {
            problem = $"image encoding '{Native.ToManaged(m->Encoding)}' is not rgb8";
            return null;
        }
        uint w = m->Width, h = m->Height;
        if (w == 0 || h == 0 || w > MaxImageSide || h > MaxImageSide)
        {
            problem = $"image size {w}x{h} is outside 1..{MaxImageSide} a side";
            return null;
        }
        if (m->Step < 3 * w)
        {
            problem = $"image step {m->Step} is shorter than a row of {w} rgb8 pixels ({3 * w} bytes)";
            return null;
        }
        if ((ulong)m->Data.Length != (ulong)m->Step * h || m->Data.Buffer == null)
        {
            problem = $"image data has {m->Data.Length} bytes, step {m->Step} x height {h} needs {(ulong)m->Step * h}";
            return null;
        }
        int row = 3 * (int)w;
        var rgb = new byte[row * (int)h];
        var src = (byte*)m->Data.Buffer;
        for (int y = 0; y < h; y++)
            new ReadOnlySpan<byte>(src + (long)y * m->Step, row).CopyTo(rgb.AsSpan(y * row, row));
        problem = null;
        return new CameraFrame((int)w, (int)h, rgb, stampNs);
    }
}
