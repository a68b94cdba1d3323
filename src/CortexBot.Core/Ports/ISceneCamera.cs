namespace CortexBot.Core.Ports;

/// <summary>One RGB image of the scene: 8-bit R, G, B per pixel, rows top first, no padding.</summary>
public sealed class CameraFrame
{
    public CameraFrame(int width, int height, byte[] rgb, long stampNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != checked(width * height * 3))
            throw new ArgumentException($"An RGB frame of {width}x{height} needs {width * height * 3} bytes, got {rgb.Length}.", nameof(rgb));
        Width = width;
        Height = height;
        Rgb = rgb;
        StampNs = stampNs;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Rgb { get; }

    /// <summary>When the state shown was published (MonotonicClock ns).</summary>
    public long StampNs { get; }
}

/// <summary>
/// A camera looking at the work space. Frames are taken on request (for the cortex), never on the control tick:
/// implementations render or grab on their own thread.
/// </summary>
public interface ISceneCamera : IDisposable
{
    int Width { get; }
    int Height { get; }

    /// <summary>A frame of the scene as it is now.</summary>
    Task<CameraFrame> CaptureAsync(CancellationToken cancellationToken = default);
}
