using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Training.Demos;

/// <summary>
/// A robot link that decorates the simulator and records, every <see cref="Decimation"/>-th command while
/// <see cref="Recording"/> is on, the observation the controller saw and the command it wrote. The control loop is
/// untouched: it just talks to this link. Used only to record demonstrations (it allocates per recorded frame).
/// </summary>
public sealed class RecordingLink(IRobotLink robot, IScenePerception perception, ArmKinematics kinematics, int decimation) : IRobotLink
{
    private readonly RobotStateBuffer _state = new(robot.JointNames.Count);
    private long _writes;
    private double _period;
    private double[]? _lastCommand;

    public int Decimation { get; } = decimation > 0 ? decimation : throw new ArgumentOutOfRangeException(nameof(decimation));
    public IReadOnlyList<string> JointNames => robot.JointNames;

    /// <summary>Set from any thread; read on the control thread.</summary>
    public volatile bool Recording;
    /// <summary>The object to pick and the container to place it in; set before <see cref="Recording"/> turns on.</summary>
    public string TargetObject { get; set; } = "red_cube";
    public string PlaceTarget { get; set; } = "bin";

    public List<float[]> Observations { get; } = [];
    public List<float[]> Actions { get; } = [];

    /// <summary>Per recorded frame the measured joints and gripper (a trace sample), for the episode's video.</summary>
    public List<float[]> TraceSamples { get; } = [];
    /// <summary>Per recorded frame the movable objects' poses (x, y, z, qw, qx, qy, qz each), in <see cref="TracedObjects"/> order.</summary>
    public List<float[]> TracePoses { get; } = [];
    public List<string> TracedObjects { get; } = [];

    public void Clear() { Observations.Clear(); Actions.Clear(); TraceSamples.Clear(); TracePoses.Clear(); TracedObjects.Clear(); _writes = 0; }

    /// <summary>The recorded frames as an episode trace (one sample per frame, objects included) to render the video from.</summary>
    public EpisodeTrace Trace(double controlRateHz) => new([.. JointNames], controlRateHz, Decimation / controlRateHz,
        [.. TraceSamples.SelectMany(s => s)], [.. TracedObjects], [.. TracePoses.SelectMany(p => p)]);
    private Vec3 _objectStart;

    public void Start(double controlPeriodSeconds)
    {
        _period = controlPeriodSeconds;
        robot.Start(controlPeriodSeconds);
    }

    public bool Read(RobotStateBuffer state) => robot.Read(state);

    public void Write(JointCommandBuffer command)
    {
        if (Recording && _writes++ % Decimation == 0 && robot.Read(_state))
        {
            // Robot time since recording began, which is when the skill began (the runtime counts from its Begin).
            double elapsed = (_writes - 1) * _period;
            var scene = perception.Snapshot();
            var obj = scene.Find(TargetObject) ?? throw new InvalidOperationException($"{TargetObject} is not in the scene");
            var place = scene.Find(PlaceTarget) ?? throw new InvalidOperationException($"{PlaceTarget} is not in the scene");
            if (_writes == 1) _objectStart = obj.Pose.Position;
            var obs = new float[PolicyLayout.ObservationSize];
            PolicyLayout.FillObservation(obs, _state, kinematics.Forward(_state.Position), obj.Pose.Position, obj.Pose.Orientation.Yaw, place.Pose.Position,
                _lastCommand ?? _state.Position, _objectStart, elapsed);
            var act = new float[PolicyLayout.ActionSize];
            PolicyLayout.FillAction(act, command);
            Observations.Add(obs);
            Actions.Add(act);
            var sample = new float[_state.Joints + 1];
            for (int j = 0; j < _state.Joints; j++) sample[j] = (float)_state.Position[j];
            sample[^1] = (float)_state.GripperOpening;
            TraceSamples.Add(sample);
            var movable = scene.Objects.Where(o => !o.IsContainer).ToList();
            if (TracedObjects.Count == 0) TracedObjects.AddRange(movable.Select(o => o.Name));
            var poses = new float[TracedObjects.Count * EpisodeTrace.PoseWidth];
            for (int k = 0; k < TracedObjects.Count; k++)
            {
                var p = scene.Find(TracedObjects[k])?.Pose ?? new Pose(new Vec3(double.NaN, double.NaN, double.NaN), Quat.Identity);
                float[] v = [(float)p.Position.X, (float)p.Position.Y, (float)p.Position.Z, (float)p.Orientation.W, (float)p.Orientation.X, (float)p.Orientation.Y, (float)p.Orientation.Z];
                v.CopyTo(poses, k * EpisodeTrace.PoseWidth);
            }
            TracePoses.Add(poses);
        }
        robot.Write(command);
        // Every write, recording or not: the first recorded frame's "last command" is the hold before the skill began.
        _lastCommand ??= new double[command.Position.Length];
        Array.Copy(command.Position, _lastCommand, _lastCommand.Length);
    }

    public void Dispose() { }
}
