using System.Diagnostics;
using System.Text.Json;
using CortexBot.Core;
using CortexBot.Core.Ports;

namespace CortexBot.Video;

/// <summary>
/// Encodes RGB frames to an H.264 MP4 (yuv420p, so every player and LeRobot's decoders read it) by piping them raw into
/// Debian's ffmpeg (libx264). Frames must all have the writer's size.
/// </summary>
public sealed class Mp4Writer : IDisposable
{
    private readonly Process _ffmpeg;
    private readonly Task<string> _stderr;
    private readonly Stream _stdin;
    private bool _finished;

    /// <exception cref="ConfigurationException">ffmpeg is not installed, or the size is not encodable.</exception>
    public Mp4Writer(string path, int width, int height, double fps, int crf = 23)
    {
        // 4:2:0 chroma needs even dimensions.
        if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0)
            throw new ConfigurationException($"H.264 (yuv420p) needs an even frame size, got {width}x{height}");
        if (!(fps > 0 && double.IsFinite(fps))) throw new ConfigurationException($"frame rate must be positive, got {fps}");
        Path = System.IO.Path.GetFullPath(path);
        Width = width;
        Height = height;
        var psi = new ProcessStartInfo(Ffmpeg.Find("ffmpeg"),
        [
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-r", fps.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "-i", "-",
            "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", crf.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", Path,
        ])
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        _ffmpeg = Process.Start(psi) ?? throw new ConfigurationException("ffmpeg did not start");
        _stderr = _ffmpeg.StandardError.ReadToEndAsync();
        _ = _ffmpeg.StandardOutput.ReadToEndAsync();
        _stdin = _ffmpeg.StandardInput.BaseStream;
    }

    public string Path { get; }
    public int Width { get; }
    public int Height { get; }
    public int Frames { get; private set; }

    public void Write(CameraFrame frame)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (frame.Width != Width || frame.Height != Height)
            throw new ArgumentException($"frame is {frame.Width}x{frame.Height}, the video {Width}x{Height}");
        try
        {
            _stdin.Write(frame.Rgb);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"ffmpeg stopped taking frames: {Finish(throwOnError: false) ?? e.Message}");
        }
        Frames++;
    }

    /// <summary>Close the input and wait for ffmpeg to write the file.</summary>
    /// <exception cref="InvalidOperationException">ffmpeg failed; its error output is in the message.</exception>
    public void Complete()
    {
        if (Finish(throwOnError: true) is { } error) throw new InvalidOperationException(error);
    }

    private string? Finish(bool throwOnError)
    {
        if (_finished) return null;
        _finished = true;
        try { _stdin.Dispose(); } catch (IOException) { }
        if (!_ffmpeg.WaitForExit(120_000))
        {
            _ffmpeg.Kill(true);
            return "ffmpeg did not finish the video within 120 s";
        }
        return _ffmpeg.ExitCode == 0 ? null : $"ffmpeg failed (exit {_ffmpeg.ExitCode}): {_stderr.Result.Trim()}";
    }

    public void Dispose()
    {
        Finish(throwOnError: false);
        _ffmpeg.Dispose();
    }
}

/// <summary>What ffprobe says of a video's first stream.</summary>
public sealed record VideoInfo(string Codec, int Width, int Height, int Frames, double Fps, double DurationS, string PixelFormat);

public static class Ffmpeg
{
    /// <summary>The full path of <paramref name="tool"/> on PATH.</summary>
    /// <exception cref="ConfigurationException">Not installed: names the Debian package.</exception>
    public static string Find(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        throw new ConfigurationException($"{tool} is not installed; episode videos need Debian's ffmpeg: sudo apt-get install ffmpeg");
    }

    /// <summary>Reads a video's first video stream with ffprobe, counting its frames by decoding them.</summary>
    public static VideoInfo Probe(string path)
    {
        var psi = new ProcessStartInfo(Find("ffprobe"),
            ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
             "stream=codec_name,width,height,nb_read_frames,r_frame_rate,pix_fmt:format=duration", "-of", "json", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidDataException($"ffprobe cannot read {path}: {stderr.Result.Trim()}");
        using var doc = JsonDocument.Parse(stdout.Result);
        var s = doc.RootElement.GetProperty("streams")[0];
        var rate = s.GetProperty("r_frame_rate").GetString()!.Split('/');
        return new VideoInfo(
            s.GetProperty("codec_name").GetString()!,
            s.GetProperty("width").GetInt32(),
            s.GetProperty("height").GetInt32(),
            int.Parse(s.GetProperty("nb_read_frames").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(rate[0], System.Globalization.CultureInfo.InvariantCulture) / double.Parse(rate[1], System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(doc.RootElement.GetProperty("format").GetProperty("duration").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            s.GetProperty("pix_fmt").GetString()!);
    }
}
