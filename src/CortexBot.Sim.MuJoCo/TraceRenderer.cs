using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo;

/// <summary>
/// Renders a recorded episode trace through the scene's camera: a replay of the recorded joint and object trajectories
/// posed kinematically (no physics is stepped), one frame per trace sample. The world is a private puppet, never the
/// world a control loop drives.
/// </summary>
public sealed class TraceRenderer : IDisposable
{
    private readonly MuJoCoWorld _world;
    private readonly MuJoCoCamera _camera;

    /// <exception cref="ConfigurationException">The scene cannot be loaded or rendered (no GL, no such camera).</exception>
    public TraceRenderer(string scenePath, MuJoCoCameraOptions? camera = null)
    {
        _world = new MuJoCoWorld(scenePath);
        try
        {
            _camera = new MuJoCoCamera(_world, camera);
        }
        catch
        {
            _world.Dispose();
            throw;
        }
    }

    public int Width => _camera.Width;
    public int Height => _camera.Height;

    /// <summary>
    /// One frame per sample of <paramref name="trace"/> (samples the control thread missed repeat the previous frame's pose).
    /// Objects the trace does not carry stay where <paramref name="seed"/> places them; <paramref name="sceneAtStart"/>, when
    /// given, puts them where the episode found them.
    /// </summary>
    /// <exception cref="ConfigurationException">The trace's joints are not this scene's arm.</exception>
    public IEnumerable<CameraFrame> Frames(EpisodeTrace trace, int seed, IReadOnlyList<ObjectPlacement>? sceneAtStart = null, CancellationToken cancellation = default)
    {
        var jointIndex = new int[_world.JointNames.Count];
        for (int j = 0; j < jointIndex.Length; j++)
        {
            jointIndex[j] = trace.JointNames.IndexOf(_world.JointNames[j]);
            if (jointIndex[j] < 0)
                throw new ConfigurationException($"the trace has no joint '{_world.JointNames[j]}' of {_world.ScenePath} (it has {string.Join(", ", trace.JointNames)})");
        }
        var objects = trace.ObjectNames.Select(n => IsMovable(n) ? n : null).ToArray();

        _world.ResetScene(seed);
        if (sceneAtStart is not null)
            foreach (var p in sceneAtStart.Where(p => IsMovable(p.Name)))
                _world.SetObjectPose(p.Name, new Core.Geometry.Pose(new(p.X, p.Y, p.Z), Core.Geometry.Quat.FromAxisAngle(new(0, 0, 1), p.Yaw)));

        var q = new double[jointIndex.Length];
        for (int s = 0; s < trace.Count; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            if (float.IsFinite(trace.Gripper(s)))
            {
                for (int j = 0; j < q.Length; j++) q[j] = trace.Joint(s, jointIndex[j]);
                _world.SetArmState(q, trace.Gripper(s));
                for (int o = 0; o < objects.Length; o++)
                    if (objects[o] is { } name && trace.TryGetObjectPose(s, o, out var pose))
                        _world.SetObjectPose(name, pose);
            }
            yield return _camera.CaptureAsync(cancellation).GetAwaiter().GetResult();
        }
    }

    private bool IsMovable(string name) => _world.ObjectNames.Contains(name);

    public void Dispose()
    {
        _camera.Dispose();
        _world.Dispose();
    }
}
