using System.Collections.Immutable;
using System.Globalization;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Perception;

/// <summary>
/// The scene as a perception node sees it: fed <see cref="DetectionFrame"/>s (vision_msgs/Detection3DArray) and the
/// static fixtures of a <see cref="PerceptionConfig"/>, it is the planner's and the goal check's scene
/// (<see cref="IScenePerception"/>) and the learned skill's per-tick object poses (<see cref="IObjectPoses"/>).
/// <para>Rules, all judged from the frames' stamps against the monotonic clock:</para>
/// <list type="bullet">
/// <item>A frame stamped more than <c>stale_after_ms</c> ago is refused (counted, reported once as
/// <see cref="AnomalyKinds.PerceptionStale"/> until a fresh one comes); a frame older than the newest accepted one is
/// ignored. Without an accepted frame newer than the bound, no movable object can be read (perception stale).</item>
/// <item>An object absent from the frames for more than <c>vanish_after_ms</c> leaves the scene
/// (<see cref="AnomalyKinds.ObjectVanished"/>); seen again, it is back.</item>
/// <item>Jump: an object whose detected position moves between consecutive sightings further than
/// <c>jump_m</c> + <see cref="MaxObjectSpeed"/> x the time between them (the hand carries objects no faster than the
/// safety gate's tool speed limit, so nothing the robot does moves it that far) is reported
/// (<see cref="AnomalyKinds.ObjectJumped"/>) and not trusted: it leaves the scene and cannot be read until a next sighting
/// confirms the new position (within the same bound of it) or puts it back where it was. A misdetection for one frame
/// thus costs nothing but the frame; a real displacement (someone moved it) invalidates what was planned for it.</item>
/// <item>Detections of class ids the configuration does not know are ignored and counted (the first few ids are kept
/// for the report); a fixture's own detections are recognised and not used; of two detections of one class in a frame
/// the higher score wins; non-finite ones are rejected.</item>
/// <item>Noise: a still object's position is the running mean of its recent sightings (<c>smoothing_frames</c>); a
/// sighting further than <c>still_m</c> from it is held back once, and two in a row make the pose follow the sightings
/// (the object is being moved) until they settle again. Without this, 5 mm of detection noise moves a target by more
/// than a skill's 20 mm watch tolerance every few seconds.</item>
/// <item>Fixtures are always in the scene, at their configured pose.</item>
/// <item>A world reset (<see cref="Forget"/>, e.g. Gazebo's) voids everything perceived: frames stamped before it are
/// refused (counted), and until one stamped after it is accepted no movable object can be read.</item>
/// </list>
/// <para>Threads: <see cref="Accept"/> from one feeder at a time (a receiver thread; serialised by a lock); everything
/// else from any thread. The state is an immutable object swapped whole per frame, so <see cref="TryGetPose"/> and
/// <see cref="PoseProblem"/> read it with one volatile load and allocate nothing (the control tick calls them).</para>
/// </summary>
public sealed class PerceivedScene : IScenePerception, IObjectPoses
{
    /// <summary>How many unknown class ids are kept for the report.</summary>
    public const int UnknownClassesKept = 16;

    private readonly PerceptionConfig _config;
    private readonly Func<long> _now;
    private readonly Action<Anomaly>? _report;
    private readonly string[] _names;
    private readonly SceneObject[] _templates;      // per movable object: name, kind, colour, default half size (pose unused)
    private readonly bool[] _hasSize;
    private readonly Dictionary<string, int> _byClass;
    private readonly HashSet<string> _fixtureClasses;
    private readonly ImmutableArray<SceneObject> _fixtures;
    private readonly Pose[] _fixturePoses;
    private readonly long _staleNs, _vanishNs;
    private readonly Lock _write = new();
    private volatile State _state;
    private readonly List<string> _unknown = [];
    private readonly List<Anomaly> _anomalies = [];
    private long _accepted, _stale, _outOfOrder, _detections, _unknownCount, _fixtureSeen, _rejected, _jumps, _vanished;
    private bool _staleReported;
    private long _resetNs, _beforeReset;

    /// <summary>One consistent view, replaced whole by each accepted frame (never mutated after publication).</summary>
    private sealed class State(int n)
    {
        public long FrameStampNs;              // newest accepted frame (0: none yet)
        public readonly Pose[] Pose = new Pose[n];
        public readonly Vec3[] HalfSize = new Vec3[n];
        public readonly long[] SeenNs = new long[n];   // stamp of the last frame the object was in (0: never)
        public readonly bool[] Jumped = new bool[n];   // awaiting a sighting that confirms or undoes a jump
        public readonly Pose[] Pending = new Pose[n];  // the jumped-to pose
        public readonly Vec3[] Last = new Vec3[n];     // the last trusted sighting as seen (jumps are judged between sightings)
        public readonly bool[] VanishReported = new bool[n];
        public readonly int[] Count = new int[n];         // sightings averaged into Pose (still object)
        public readonly bool[] Moving = new bool[n];      // following the raw sightings (carried or pushed)
        public readonly bool[] Outlier = new bool[n];     // the last sighting was outside the still gate

        public State CopyForNext(long stamp)
        {
            var s = new State(Pose.Length) { FrameStampNs = stamp };
            Pose.CopyTo(s.Pose, 0);
            HalfSize.CopyTo(s.HalfSize, 0);
            SeenNs.CopyTo(s.SeenNs, 0);
            Jumped.CopyTo(s.Jumped, 0);
            Pending.CopyTo(s.Pending, 0);
            Last.CopyTo(s.Last, 0);
            VanishReported.CopyTo(s.VanishReported, 0);
            Count.CopyTo(s.Count, 0);
            Moving.CopyTo(s.Moving, 0);
            Outlier.CopyTo(s.Outlier, 0);
            return s;
        }
    }

    /// <param name="config">Validated configuration (see <see cref="PerceptionConfig.Load"/>).</param>
    /// <param name="source">Where the frames come from, for messages (e.g. "detections on /detections").</param>
    /// <param name="maxObjectSpeed">The fastest the robot can move an object (m/s): the safety gate's tool speed limit.</param>
    /// <param name="report">Receives each anomaly as it is found (on the feeder's thread); e.g. the host logs them.</param>
    /// <param name="clock">Monotonic nanoseconds (tests pass their own).</param>
    public PerceivedScene(PerceptionConfig config, string source = "detections", double maxObjectSpeed = 1.0,
        Action<Anomaly>? report = null, Func<long>? clock = null)
    {
        _config = config.Validate();
        if (!double.IsFinite(maxObjectSpeed) || maxObjectSpeed < 0) throw new ArgumentOutOfRangeException(nameof(maxObjectSpeed));
        Source = source;
        MaxObjectSpeed = maxObjectSpeed;
        _report = report;
        _now = clock ?? (() => MonotonicClock.NowNs);
        _staleNs = (long)(config.StaleAfterMs * 1e6);
        _vanishNs = (long)(config.VanishAfterMs * 1e6);
        _byClass = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        var templates = new List<SceneObject>();
        var hasSize = new List<bool>();
        foreach (var (id, c) in config.Classes)
        {
            _byClass[id] = names.Count;
            names.Add(c.Name!);
            var half = c.Size is { } s ? PerceptionConfig.Vec(s) * 0.5 : default;
            templates.Add(new SceneObject(c.Name!, c.Kind, c.Color, Pose.Identity, half));
            hasSize.Add(c.Size is not null);
        }
        _names = [.. names];
        _templates = [.. templates];
        _hasSize = [.. hasSize];
        _fixtures = [.. config.Fixtures.Select(f => f.ToSceneObject())];
        _fixturePoses = [.. _fixtures.Select(f => f.Pose)];
        _fixtureClasses = [.. config.Fixtures.Where(f => f.ClassId is not null).Select(f => f.ClassId!)];
        _state = new State(_names.Length);
        ObjectNames = [.. _names];
    }

    public PerceptionConfig Config => _config;
    public string Source { get; }
    public double MaxObjectSpeed { get; }

    /// <summary>The movable objects (class order); fixtures follow them in <see cref="IndexOf"/>.</summary>
    public IReadOnlyList<string> ObjectNames { get; }

    public PerceptionCounters Counters
    {
        get
        {
            lock (_write) return new(_accepted, _stale, _outOfOrder, _detections, _unknownCount, _fixtureSeen, _rejected, _jumps, _vanished, _beforeReset);
        }
    }

    /// <summary>Class ids seen that the configuration does not know (the first <see cref="UnknownClassesKept"/>).</summary>
    public IReadOnlyList<string> UnknownClasses { get { lock (_write) return [.. _unknown]; } }

    /// <summary>The anomalies found so far (at most the latest 256).</summary>
    public IReadOnlyList<Anomaly> Anomalies { get { lock (_write) return [.. _anomalies]; } }

    // ------------------------------------------------------------------ IObjectPoses (control thread: no allocation)

    /// <summary>Movable objects are 0..n-1 in class order; fixtures follow (n, n+1, ...); -1 for an unknown name.</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < _names.Length; i++) if (_names[i] == name) return i;
        for (int j = 0; j < _fixtures.Length; j++) if (_fixtures[j].Name == name) return _names.Length + j;
        return -1;
    }

    public bool TryGetPose(int index, out Pose pose)
    {
        int n = _names.Length;
        if ((uint)index >= (uint)(n + _fixturePoses.Length)) { pose = default; return false; }
        if (index >= n) { pose = _fixturePoses[index - n]; return true; }
        var s = _state;
        if (Problem(s, index, _now()) is not null) { pose = default; return false; }
        pose = s.Pose[index];
        return true;
    }

    public string? PoseProblem(int index)
    {
        if ((uint)index >= (uint)_names.Length) return null;
        return Problem(_state, index, _now());
    }

    private string? Problem(State s, int i, long now)
    {
        if (s.FrameStampNs == 0 || now - s.FrameStampNs > _staleNs) return AnomalyKinds.PerceptionStale;
        if (s.SeenNs[i] == 0 || now - s.SeenNs[i] > _vanishNs) return AnomalyKinds.ObjectVanished;
        return s.Jumped[i] ? AnomalyKinds.ObjectJumped : null;
    }

    // ------------------------------------------------------------------ IScenePerception (any thread)

    /// <summary>The fixtures and every movable object that can be trusted now; stamped with the newest accepted frame.</summary>
    public SceneSnapshot Snapshot()
    {
        var s = _state;
        long now = _now();
        var objects = ImmutableArray.CreateBuilder<SceneObject>(_names.Length + _fixtures.Length);
        for (int i = 0; i < _names.Length; i++)
            if (Problem(s, i, now) is null) objects.Add(_templates[i] with { Pose = s.Pose[i], HalfSize = s.HalfSize[i] });
        objects.AddRange(_fixtures);
        return new SceneSnapshot(s.FrameStampNs == 0 ? now : s.FrameStampNs, objects.ToImmutable());
    }

    /// <summary>Null while the newest accepted frame is within the staleness bound; else why not, in one line.</summary>
    public string? Problem()
    {
        var s = _state;
        long now = _now();
        if (s.FrameStampNs != 0 && now - s.FrameStampNs <= _staleNs) return null;
        var c = Counters;
        long reset = Volatile.Read(ref _resetNs);
        if (s.FrameStampNs == 0 && reset != 0)
            return $"perception stale: no detection frame from {Source} stamped after the world reset {Ms(now - reset)} ago" +
                (c.FramesBeforeReset > 0 ? $" ({c.FramesBeforeReset} frame(s) from before it refused)" : "");
        string refused = c.FramesRefusedStale > 0 ? $"; {c.FramesRefusedStale} frame(s) refused as stamped more than {Ms(_staleNs)} ago" : "";
        return s.FrameStampNs == 0
            ? $"perception stale: no detection frame accepted from {Source}{refused}"
            : $"perception stale: the newest detection frame from {Source} is {Ms(now - s.FrameStampNs)} old (stale_after_ms {Ms(_staleNs, unit: false)}){refused}";
    }

    /// <summary>Objects the configuration knows that cannot be read now, with why (for a start report); empty when all can.</summary>
    public IReadOnlyList<string> MissingObjects()
    {
        var s = _state;
        long now = _now();
        var missing = new List<string>();
        for (int i = 0; i < _names.Length; i++)
            if (Problem(s, i, now) is { } p) missing.Add($"{_names[i]} ({p})");
        return missing;
    }

    // ------------------------------------------------------------------ feeding

    /// <summary>
    /// The world was reset at <paramref name="resetNs"/> (monotonic): everything perceived so far shows the old world and
    /// is forgotten (tracks, smoothing, jumps), frames stamped before it are refused from now on, and <see cref="Problem"/>
    /// says so until a frame stamped after it is accepted. Any thread.
    /// </summary>
    public void Forget(long resetNs)
    {
        lock (_write)
        {
            if (resetNs > _resetNs) Volatile.Write(ref _resetNs, resetNs);
            _state = new State(_names.Length);
            _staleReported = false;
        }
    }

    /// <summary>Applies one detection frame (the receiver's thread). Never throws for bad content: it is counted.</summary>
    public void Accept(DetectionFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        List<Anomaly>? found;
        lock (_write) found = Apply(frame);
        Publish(found);
    }

    private List<Anomaly>? Apply(DetectionFrame frame)
    {
        List<Anomaly>? found = null;
        {
            long now = _now();
            var old = _state;
            if (frame.StampNs < _resetNs)
            {
                _beforeReset++;   // it shows the world before the reset
                return null;
            }
            if (now - frame.StampNs > _staleNs)
            {
                _stale++;
                if (!_staleReported)
                {
                    _staleReported = true;
                    Add(ref found, AnomalyKinds.PerceptionStale,
                        $"detection frame from {Source} stamped {Ms(now - frame.StampNs)} ago refused (stale_after_ms {Ms(_staleNs, unit: false)})", now);
                }
                return found;
            }
            if (frame.StampNs < old.FrameStampNs)
            {
                _outOfOrder++;
                return null;
            }
            _staleReported = false;
            _accepted++;
            var s = old.CopyForNext(frame.StampNs);

            // the best detection of each known class in this frame
            Span<int> best = _names.Length <= 64 ? stackalloc int[_names.Length] : new int[_names.Length];
            best.Fill(-1);
            var dets = frame.Detections.IsDefault ? [] : frame.Detections;
            for (int k = 0; k < dets.Length; k++)
            {
                var d = dets[k];
                _detections++;
                if (d.ClassId is null || !_byClass.TryGetValue(d.ClassId, out int i))
                {
                    if (d.ClassId is not null && _fixtureClasses.Contains(d.ClassId)) { _fixtureSeen++; continue; }
                    _unknownCount++;
                    string id = d.ClassId ?? "";
                    if (_unknown.Count < UnknownClassesKept && !_unknown.Contains(id)) _unknown.Add(id);
                    continue;
                }
                if (!d.Pose.Position.IsFinite || !d.Pose.Orientation.IsFinite || !double.IsFinite(d.Score)
                    || (!HasSize(d.Size) && !_hasSize[i]))
                {
                    _rejected++;
                    continue;
                }
                if (best[i] < 0) best[i] = k;
                else
                {
                    _rejected++; // a second detection of a one-object class: the better one stands
                    if (d.Score > dets[best[i]].Score) best[i] = k;
                }
            }

            for (int i = 0; i < _names.Length; i++)
            {
                if (best[i] < 0)
                {
                    if (s.SeenNs[i] != 0 && !s.VanishReported[i] && frame.StampNs - s.SeenNs[i] > _vanishNs)
                    {
                        s.VanishReported[i] = true;
                        _vanished++;
                        Add(ref found, AnomalyKinds.ObjectVanished,
                            $"{_names[i]} has not been detected for {Ms(frame.StampNs - s.SeenNs[i])} (vanish_after_ms {Ms(_vanishNs, unit: false)})", now);
                    }
                    continue;
                }
                var d = dets[best[i]];
                var pose = new Pose(d.Pose.Position, d.Pose.Orientation.Normalized());
                s.HalfSize[i] = HasSize(d.Size) ? d.Size * 0.5 : _templates[i].HalfSize;
                bool tracked = s.SeenNs[i] != 0 && frame.StampNs - s.SeenNs[i] <= _vanishNs;
                if (!tracked)
                {
                    Restart(s, i, pose);
                    s.Jumped[i] = false;
                }
                else
                {
                    double dt = (frame.StampNs - s.SeenNs[i]) / 1e9;
                    double bound = _config.JumpM + MaxObjectSpeed * dt;
                    // between sightings as seen: the smoothed pose lags a moving object by design
                    double fromTrusted = (pose.Position - s.Last[i]).Norm;
                    if (s.Jumped[i])
                    {
                        if ((pose.Position - s.Pending[i].Position).Norm <= bound) { Restart(s, i, pose); s.Jumped[i] = false; }  // confirmed
                        else if (fromTrusted <= bound) { Smooth(s, i, pose); s.Jumped[i] = false; }                                // it was a glitch
                        else s.Pending[i] = pose;
                    }
                    else if (fromTrusted > bound)
                    {
                        s.Jumped[i] = true;
                        s.Pending[i] = pose;
                        _jumps++;
                        Add(ref found, AnomalyKinds.ObjectJumped, string.Create(CultureInfo.InvariantCulture,
                            $"{_names[i]} moved {fromTrusted * 1e3:F0} mm between detections {dt * 1e3:F0} ms apart (bound {bound * 1e3:F0} mm: jump_m {_config.JumpM * 1e3:F0} mm + {MaxObjectSpeed:0.###} m/s x {dt * 1e3:F0} ms)"), now);
                    }
                    else Smooth(s, i, pose);
                }
                if (!s.Jumped[i]) s.Last[i] = pose.Position;
                s.SeenNs[i] = frame.StampNs;
                s.VanishReported[i] = false;
            }
            _state = s;
        }
        return found;
    }

    /// <summary>A new track (first sighting, back after vanishing, a confirmed jump): the sighting as it is.</summary>
    private static void Restart(State s, int i, Pose pose)
    {
        s.Pose[i] = pose;
        s.Count[i] = 1;
        s.Moving[i] = false;
        s.Outlier[i] = false;
    }

    /// <summary>
    /// A still object's position is the mean of its sightings (the last <c>smoothing_frames</c>, recursively), so detection
    /// noise does not move the target a skill was planned for; the orientation is the latest. A sighting outside
    /// <c>still_m</c> of the mean is held back once (a noise outlier); a second in a row means the object moves, and the
    /// pose then follows the sightings until they settle within the gate again.
    /// </summary>
    private void Smooth(State s, int i, Pose pose)
    {
        if (_config.SmoothingFrames == 1) { s.Pose[i] = pose; return; }
        var mean = s.Pose[i].Position;
        if ((pose.Position - mean).Norm <= _config.StillM)
        {
            int n = Math.Min(s.Count[i] + 1, _config.SmoothingFrames);
            s.Pose[i] = new Pose(mean + (pose.Position - mean) * (1.0 / n), pose.Orientation);
            s.Count[i] = n;
            s.Moving[i] = false;
            s.Outlier[i] = false;
        }
        else if (s.Moving[i] || s.Outlier[i])
        {
            Restart(s, i, pose);
            s.Moving[i] = true;
        }
        else s.Outlier[i] = true;
    }

    private static bool HasSize(Vec3 size) => size.IsFinite && size.X > 0 && size.Y > 0 && size.Z > 0;

    private void Add(ref List<Anomaly>? found, string kind, string detail, long now)
    {
        var a = new Anomaly(kind, detail, now);
        (found ??= []).Add(a);
        if (_anomalies.Count >= 256) _anomalies.RemoveAt(0);
        _anomalies.Add(a);
    }

    /// <summary>Reports outside the lock, so a slow logger never holds up a reader of the counters.</summary>
    private void Publish(List<Anomaly>? found)
    {
        if (found is null || _report is null) return;
        foreach (var a in found) _report(a);
    }

    private static string Ms(long ns, bool unit = true) =>
        string.Create(CultureInfo.InvariantCulture, $"{ns / 1e6:0}{(unit ? " ms" : "")}");
}
