using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Testing;

namespace CortexBot.Host.Tests;

/// <summary>A planner that blocks its thread for a while (as a large model would), then plans with the real rule planner.</summary>
public sealed class BlockingPlanner(IPlanner inner, TimeSpan block) : IPlanner
{
    public ManualResetEventSlim Started { get; } = new();
    public ManualResetEventSlim Finished { get; } = new();
    public string Name => "blocking-test";

    public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken)
    {
        Started.Set();
        Thread.Sleep(block); // deliberately synchronous: the worst case for a shared dispatcher
        Finished.Set();
        return inner.PlanAsync(context, cancellationToken);
    }
}

/// <summary>Perception that throws on one chosen call, to crash the organ that calls it.</summary>
public sealed class FaultyPerception(IScenePerception inner, int failOnCall) : IScenePerception
{
    private int _calls;
    public int Calls => _calls;
    public SceneSnapshot Snapshot()
    {
        if (Interlocked.Increment(ref _calls) == failOnCall) throw new InvalidOperationException("injected perception fault");
        return inner.Snapshot();
    }
}

/// <summary>Sits under the safety gate and checks every command that reaches the simulated arm against the arm's limits.</summary>
public sealed class LimitCheckingWorld(CortexBot.Sim.MuJoCo.MuJoCoWorld inner, ArmModel arm) : IRobotLink, IScenePerception, IWorldReset
{
    private readonly double[] _prev = new double[arm.Dof];
    private bool _hasPrev;
    private double _period;
    public long Writes { get; private set; }
    public long Violations { get; private set; }
    public IReadOnlyList<string> JointNames => inner.JointNames;
    public void Start(double controlPeriodSeconds) { _period = controlPeriodSeconds; inner.Start(controlPeriodSeconds); }
    public bool Read(RobotStateBuffer state) => inner.Read(state);
    public SceneSnapshot Snapshot() => inner.Snapshot();
    public void ResetScene(int seed) { inner.ResetScene(seed); _hasPrev = false; }
    public void Dispose() => inner.Dispose();

    public void Write(JointCommandBuffer command)
    {
        Writes++;
        for (int i = 0; i < arm.Dof; i++)
        {
            var j = arm.Joints[i];
            double c = command.Position[i];
            bool bad = !double.IsFinite(c) || c < j.Lower || c > j.Upper || (_hasPrev && Math.Abs(c - _prev[i]) > j.MaxVelocity * _period * (1 + 1e-9));
            if (bad) Violations++;
            _prev[i] = c;
        }
        if (!double.IsFinite(command.GripperOpening) || command.GripperOpening < 0 || command.GripperOpening > arm.GripperMaxOpening) Violations++;
        _hasPrev = true;
        inner.Write(command);
    }
}

/// <summary>A planner that always answers with the same plan, whatever the instruction says.</summary>
public sealed class FixedPlanner(params SkillInvocation[] steps) : IPlanner
{
    public string Name => "fixed-test";
    public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken) =>
        Task.FromResult(PlanResult.Of(new Plan([.. steps])));
}

/// <summary>Perception that, on the calls <paramref name="lieOnCall"/> picks (1-based), reports an object displaced (a mis-detection).</summary>
public sealed class MisdetectingPerception(IScenePerception inner, string objectName, CortexBot.Core.Geometry.Vec3 offset, Func<int, bool> lieOnCall) : IScenePerception
{
    private int _calls;
    public int Calls => _calls;
    public SceneSnapshot Snapshot()
    {
        var truth = inner.Snapshot();
        if (!lieOnCall(Interlocked.Increment(ref _calls))) return truth;
        return truth with
        {
            Objects = [.. truth.Objects.Select(o => o.Name == objectName ? o with { Pose = o.Pose with { Position = o.Pose.Position + offset } } : o)],
        };
    }
}

/// <summary>
/// The simulator with one fault: the first time the named cube is lifted above <paramref name="knockHeight"/> (held by the
/// gripper), it is knocked back to where it lay at the start of the episode. Injected on the control thread, in Write.
/// </summary>
public sealed class KnockingWorld(CortexBot.Sim.MuJoCo.MuJoCoWorld inner, string objectName, double knockHeight = 0.08) : DelegatingWorld<CortexBot.Sim.MuJoCo.MuJoCoWorld>(inner)
{
    private CortexBot.Core.Geometry.Vec3 _start;
    private int _index = -1;
    public int Knocks { get; private set; }
    public double KnockedAtSimTime { get; private set; } = double.NaN;

    public override void ResetScene(int seed)
    {
        Inner.ResetScene(seed);
        _index = Inner.IndexOf(objectName);
        Inner.TryGetPose(_index, out var p);
        _start = p.Position;
    }

    public override void Write(JointCommandBuffer command)
    {
        Inner.Write(command);
        if (Knocks == 0 && _index >= 0 && Inner.TryGetPose(_index, out var p) && p.Position.Z > knockHeight)
        {
            Inner.KnockObject(objectName, _start);
            Knocks++;
            KnockedAtSimTime = Inner.SimTime;
        }
    }
}

/// <summary>
/// The simulator with one fault: when <paramref name="lastObject"/>, once lifted above <paramref name="liftedAbove"/>, has
/// been set down again (below <paramref name="setDownBelow"/>), <paramref name="earlierObject"/> is moved back to where it
/// lay at the start of the episode, as if the last placement had pushed it out of the bin. Once per episode; injected on
/// the control thread, in Write.
/// </summary>
public sealed class KnockOutWorld(CortexBot.Sim.MuJoCo.MuJoCoWorld inner, string lastObject, string earlierObject,
    double liftedAbove = 0.08, double setDownBelow = 0.05) : DelegatingWorld<CortexBot.Sim.MuJoCo.MuJoCoWorld>(inner)
{
    private CortexBot.Core.Geometry.Vec3 _earlierStart;
    private int _last = -1;
    private bool _lifted;
    public int Knocks { get; private set; }

    public override void ResetScene(int seed)
    {
        Inner.ResetScene(seed);
        _last = Inner.IndexOf(lastObject);
        Inner.TryGetPose(Inner.IndexOf(earlierObject), out var p);
        _earlierStart = p.Position;
        _lifted = false;
        Knocks = 0;
    }

    public override void Write(JointCommandBuffer command)
    {
        Inner.Write(command);
        if (Knocks > 0 || _last < 0 || !Inner.TryGetPose(_last, out var p)) return;
        if (p.Position.Z > liftedAbove) _lifted = true;
        else if (_lifted && p.Position.Z < setDownBelow)
        {
            Inner.KnockObject(earlierObject, _earlierStart);
            Knocks++;
        }
    }
}
