using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using CortexBot.Core;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo;

/// <summary>Where and how <see cref="MuJoCoCamera"/> renders.</summary>
public sealed record MuJoCoCameraOptions
{
    public const string DefaultCamera = "cam";

    /// <summary>A camera defined in the scene's MJCF.</summary>
    public string Camera { get; init; } = DefaultCamera;
    public int Width { get; init; } = 320;
    public int Height { get; init; } = 240;

    /// <summary>The EGL library opened at start; rendering is headless (EGL surfaceless, Mesa's llvmpipe without a GPU).</summary>
    public string EglLibrary { get; init; } = "libEGL.so.1";
}

/// <summary>
/// Headless camera images of a <see cref="MuJoCoWorld"/>. A dedicated render thread owns the GL context and its own
/// copy of the model; each capture copies the positions the world last published (a short lock) and renders them
/// there, so the control thread never waits on rendering and never shares its mjData.
/// </summary>
public sealed unsafe class MuJoCoCamera : ISceneCamera
{
    private const int ErrorBufferLength = 1024;

    private readonly MuJoCoWorld _world;
    private readonly BlockingCollection<Request> _requests = new();
    private readonly Thread _thread;
    private int _disposed;

    private sealed record Request(TaskCompletionSource<CameraFrame> Done, CancellationToken Cancellation);

    /// <exception cref="ConfigurationException">No GL is available, the camera is not in the scene, or the frame
    /// size exceeds the scene's offscreen buffer.</exception>
    public MuJoCoCamera(MuJoCoWorld world, MuJoCoCameraOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        _world = world;
        var o = options ?? new MuJoCoCameraOptions();
        Width = o.Width;
        Height = o.Height;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Run(world.ScenePath, o, started)) { IsBackground = true, Name = "mujoco-camera" };
        _thread.Start();
        try
        {
            started.Task.GetAwaiter().GetResult();
        }
        catch
        {
            _thread.Join();
            _requests.Dispose();
            throw;
        }
    }

    public int Width { get; }
    public int Height { get; }

    public Task<CameraFrame> CaptureAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var done = new TaskCompletionSource<CameraFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _requests.Add(new Request(done, cancellationToken), CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(MuJoCoCamera));
        }
        return done.Task;
    }

    /// <summary>Stops the render thread (after the frame in progress) and frees the GL context; pending captures are cancelled.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }

    private void Run(string scenePath, MuJoCoCameraOptions o, TaskCompletionSource started)
    {
        nint r;
        try
        {
            r = Create(scenePath, o);
        }
        catch (Exception e)
        {
            started.SetException(e);
            return;
        }
        try
        {
            int nq = Native.RendererNq(r);
            if (nq != _world.PositionCount)
            {
                started.SetException(new ConfigurationException(
                    $"The camera's copy of {scenePath} has {nq} positions, the world {_world.PositionCount}: the scene file changed after the world loaded it."));
                return;
            }
            started.SetResult();
            var qpos = new double[nq];
            foreach (var req in _requests.GetConsumingEnumerable())
            {
                if (req.Cancellation.IsCancellationRequested)
                {
                    req.Done.TrySetCanceled(req.Cancellation);
                    continue;
                }
                try
                {
                    long stamp = _world.CopyPublishedPositions(qpos);
                    var rgb = new byte[Width * Height * 3];
                    int rc;
                    fixed (double* q = qpos)
                    fixed (byte* p = rgb)
                        rc = Native.RendererRender(r, q, p);
                    if (rc != 0) throw new InvalidOperationException($"MuJoCo failed to render a frame: {Native.LastError()}");
                    req.Done.TrySetResult(new CameraFrame(Width, Height, rgb, stamp));
                }
                catch (Exception e)
                {
                    req.Done.TrySetException(e);
                }
            }
        }
        finally
        {
            Native.RendererFree(r);
            // captures queued between CompleteAdding and here are not rendered
            while (_requests.TryTake(out var left)) left.Done.TrySetCanceled();
        }
    }

    private static nint Create(string scenePath, MuJoCoCameraOptions o)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(o.Camera);
        ArgumentException.ThrowIfNullOrWhiteSpace(o.EglLibrary);
        byte* error = stackalloc byte[ErrorBufferLength];
        error[0] = 0;
        nint r;
        try
        {
            r = Native.RendererCreate(scenePath, o.EglLibrary, o.Camera, o.Width, o.Height, error, ErrorBufferLength);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new ConfigurationException(
                $"The MuJoCo shim (lib{Native.Library}.so) could not be loaded: {e.Message} " +
                "Build CortexBot.Sim.MuJoCo on Linux with MuJoCo 2.2.2 and gcc installed: sudo apt-get install libmujoco-dev gcc");
        }
        if (r != 0) return r;
        var text = (Marshal.PtrToStringUTF8((nint)error) ?? "").Trim();
        throw new ConfigurationException($"Cannot render camera '{o.Camera}' of {scenePath}: {(text.Length == 0 ? "unknown error" : text)}");
    }
}
