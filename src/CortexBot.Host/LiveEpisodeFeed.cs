using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Recording;
using CortexBot.Recording.Mcap;
using CortexBot.Recording.Telemetry;
using Microsoft.Extensions.Logging;

namespace CortexBot.Host;

public sealed record LiveFeedOptions
{
    /// <summary>Serve the live telemetry stream here (<c>cortexbot view --attach</c> reads it); null for none.</summary>
    public IPEndPoint? Telemetry { get; init; }

    /// <summary>Write one MCAP file per episode into this folder; null for none.</summary>
    public string? RecordDirectory { get; init; }

    /// <summary>Joint states and commands per second in the feed.</summary>
    public double RateHz { get; init; } = 25;

    /// <summary>Scene (object poses) updates per second.</summary>
    public double SceneRateHz { get; init; } = 5;

    /// <summary>Camera frames per second, when a camera is available (0: none).</summary>
    public double CameraRateHz { get; init; } = 2;

    public bool Enabled => Telemetry is not null || RecordDirectory is not null;
}

/// <summary>
/// What a running episode looks like, for the live view and for recordings: a thread of its own samples the control loop's
/// published state and command, the safety gate's counters, the loop's timing, the scene and the camera, and takes the
/// episode's progress (plan tree, anomalies, outcome) from the actor system's event stream. It reads what the control
/// loop publishes and never touches the tick.
/// </summary>
public sealed class LiveEpisodeFeed : IDisposable
{
    private readonly ControlLoop _loop;
    private readonly SafetyGate _gate;
    private readonly IScenePerception _perception;
    private readonly ISceneCamera? _camera;
    private readonly IReadOnlyList<string> _joints;
    private readonly LiveFeedOptions _options;
    private readonly ILogger _log;
    private readonly ConcurrentQueue<EpisodeProgress> _progress = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly List<string> _recorded = [];
    private readonly TelemetryServer? _telemetry;
    private readonly bool _ownsCamera;

    // The episode being fed (sampler thread only).
    private Guid _task;
    private long _startTick;
    private EpisodeChannels? _live;
    private EpisodeRecording? _file;
    private string? _filePath;
    private Task<CameraFrame>? _pendingFrame;

    public LiveEpisodeFeed(ControlLoop loop, SafetyGate gate, IScenePerception perception, ISceneCamera? camera, IReadOnlyList<string> jointNames,
        LiveFeedOptions options, ILogger log, bool ownsCamera = false)
    {
        _ownsCamera = ownsCamera;
        _loop = loop;
        _gate = gate;
        _perception = perception;
        _camera = camera;
        _joints = jointNames;
        _options = options;
        _log = log;
        if (options.RecordDirectory is { } dir)
        {
            try { Directory.CreateDirectory(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new Core.ConfigurationException($"--record: cannot create {dir}: {e.Message}");
            }
        }
        if (options.Telemetry is { } endpoint)
        {
            _telemetry = new TelemetryServer(endpoint);
            _log.LogInformation("telemetry on {Endpoint} (cortexbot view --attach {Endpoint})", _telemetry.Endpoint, _telemetry.Endpoint);
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "cortexbot-live-feed", Priority = ThreadPriority.BelowNormal };
    }

    /// <summary>Where the telemetry stream is served (the port chosen when 0 was asked).</summary>
    public IPEndPoint? TelemetryEndpoint => _telemetry?.Endpoint;

    /// <summary>MCAP files written so far, one per finished episode.</summary>
    public IReadOnlyList<string> RecordedFiles { get { lock (_recorded) return [.. _recorded]; } }

    public void Start() => _thread.Start();

    /// <summary>From the event stream (any thread).</summary>
    public void OnProgress(EpisodeProgress progress) => _progress.Enqueue(progress);

    private void Run()
    {
        double period = 1 / _options.RateHz;
        long tick = 0;
        int sceneEvery = Math.Max(1, (int)Math.Round(_options.RateHz / _options.SceneRateHz));
        int slowEvery = Math.Max(1, (int)Math.Round(_options.RateHz / 2));
        int cameraEvery = _options.CameraRateHz > 0 ? Math.Max(1, (int)Math.Round(_options.RateHz / _options.CameraRateHz)) : 0;
        long lastClamps = _gate.ClampedCommands;
        var next = DateTime.UtcNow;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                while (_progress.TryDequeue(out var p)) Apply(p);
                if (_task != Guid.Empty)
                {
                    double t = (_loop.TotalTicks - _startTick) * _loop.Options.Period;
                    var s = _loop.LatestState();
                    Each(c => c.JointStates(t, _joints, s.Position.AsSpan(), s.Velocity.AsSpan(), s.GripperOpening));
                    var cmd = _loop.LatestCommand();
                    double grip = _loop.LatestGripperCommand;
                    Each(c => c.Commands(t, _joints, cmd, grip));
                    if (tick % sceneEvery == 0)
                    {
                        var scene = _perception.Snapshot();
                        Each(c => c.Objects(t, scene.Objects));
                    }
                    if (tick % slowEvery == 0)
                    {
                        long clamps = _gate.ClampedCommands;
                        Each(c => c.Clamps(t, clamps, clamps - lastClamps, _gate.RejectedCommands));
                        lastClamps = clamps;
                        var stats = _loop.Stats();
                        Each(c => c.Control(t, stats.TargetHz, stats.AchievedHz, stats.JitterP50Us, stats.JitterP99Us, stats.LateTicks, stats.Pacing));
                    }
                    if (_camera is not null && cameraEvery > 0)
                    {
                        if (_pendingFrame is { IsCompleted: true } done)
                        {
                            if (done.IsCompletedSuccessfully) { var f = done.Result; Each(c => c.Camera(t, f.Width, f.Height, f.Rgb)); }
                            _pendingFrame = null;
                        }
                        if (_pendingFrame is null && tick % cameraEvery == 0) _pendingFrame = _camera.CaptureAsync(_stop.Token);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The feed is an observer: a failure here is logged and never reaches the episode or the arm.
                _log.LogWarning("live feed: {Reason}", e.Message);
            }
            tick++;
            next += TimeSpan.FromSeconds(period);
            var wait = next - DateTime.UtcNow;
            if (wait > TimeSpan.Zero) _stop.Token.WaitHandle.WaitOne(wait);
            else next = DateTime.UtcNow;
        }
        CloseFile();
    }

    private void Apply(EpisodeProgress p)
    {
        if (p.TaskId != _task)
        {
            CloseFile();
            _task = p.TaskId;
            _startTick = p.StartTick;
            // Unix time of the episode's robot time 0.
            ulong start = (ulong)((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)(p.RobotTimeS * 1000)) * 1_000_000L);
            _live = _telemetry is null ? null : new EpisodeChannels(_telemetry, start);
            if (_options.RecordDirectory is { } dir)
            {
                _filePath = Path.Combine(dir, $"episode-{DateTime.UtcNow:yyyyMMdd-HHmmss}-seed{p.Seed}-{p.TaskId.ToString()[..8]}.mcap");
                _file = new EpisodeRecording(File.Create(_filePath), start);
            }
            Each(c => c.Episode(p.RobotTimeS, p.Instruction, p.Seed, p.Planner, null, null));
        }
        var steps = p.Steps.Select(s => new PlanStepStatus(s.Index, s.Skill, s.Status, s.StartedS, s.DurationS, s.Detail)).ToList();
        Each(c => c.Plan(p.RobotTimeS, p.Instruction, p.Status, steps));
        if (p.Anomaly is { } a) Each(c => c.Anomaly(a));
        if (p.Finished)
        {
            Each(c => c.Episode(p.RobotTimeS, p.Instruction, p.Seed, p.Planner, p.Success, p.Failure, p.EpisodeId == 0 ? null : p.EpisodeId));
            CloseFile();
            _task = Guid.Empty;
        }
    }

    private void Each(Action<EpisodeChannels> write)
    {
        if (_live is not null) write(_live);
        if (_file is not null) write(_file);
    }

    private void CloseFile()
    {
        if (_file is null) return;
        _file.Dispose();
        lock (_recorded) _recorded.Add(_filePath!);
        _file = null;
        _filePath = null;
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join(5000);
        else CloseFile();
        _telemetry?.Dispose();
        // A camera the feed made for itself is its to free; a shared one (the cortex's) belongs to the container.
        if (_ownsCamera) _camera?.Dispose();
    }
}

/// <summary>Hands the episode's progress from the event stream to the feed.</summary>
public sealed class LiveFeedActor : ReceiveActor
{
    public LiveFeedActor(LiveEpisodeFeed feed)
    {
        Receive<EpisodeProgress>(feed.OnProgress);
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(EpisodeProgress));

    public static Props Props(LiveEpisodeFeed feed) => Akka.Actor.Props.Create(() => new LiveFeedActor(feed));
}
