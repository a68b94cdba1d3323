using System.Collections.Immutable;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace CortexBot.Cerebellum.Tests;

/// <summary>
/// Tasks over several objects, run as plain skill programs (pick, place, stack) compiled from the simulator's scene and
/// executed by the real control loop (ticked inline, 500 Hz of simulated time) on the MuJoCo world, over many seeds.
/// Success is the task's goal judged from physics at the end (<see cref="TaskGoal"/>), every relation, not the skills'
/// own verdicts. The rates measured are printed; each test asks for the rate the task family's goal names.
/// </summary>
public sealed class MultiObjectTaskTests(ITestOutputHelper output)
{
    private const double Period = 0.002;
    private static string Scene(string file) => Path.Combine(RepoPaths.Sim, file);

    /// <summary>The seeds the rates are measured on (the host's tests and the bench use others).</summary>
    private static readonly int[] Seeds = [.. Enumerable.Range(300, 20)];

    private sealed class Rig : IDisposable
    {
        public readonly MuJoCoWorld World;
        public readonly ControlLoop Loop;
        public readonly SkillCompiler Compiler;

        public Rig(string scene, int seed)
        {
            World = new MuJoCoWorld(scene);
            var arm = ArmModel.FromMjcf(scene);
            World.Start(Period);
            World.ResetScene(seed);
            // the host's gate and tool-speed limit for the simulator (CortexBotOptions.SimulatorMaxToolSpeed)
            var envelope = SafetyEnvelope.ForScene(scene, 1.0);
            Loop = new ControlLoop(new SafetyGate(World, arm, envelope),
                new ControlLoopOptions { RateHz = 1 / Period, Pacing = Pacing.Fast, UseRealtimePriority = false,
                    Anomalies = new AnomalyLimits { JointRanges = [.. arm.Joints.Select(j => (j.Lower, j.Upper))] } },
                NullLogger<ControlLoop>.Instance);
            Loop.PrepareInline();
            Compiler = new SkillCompiler(new ArmKinematics(arm), new SkillParameters { MaxToolSpeed = envelope.MaxToolSpeed }, poses: World);
        }

        public CompiledSkill Compile(SkillInvocation skill) =>
            Compiler.Compile(skill, World.Snapshot(), new ArmContext(Loop.LatestCommand(), Loop.LatestGripperCommand, Loop.LatestState().GripperOpening));

        /// <summary>Runs the skill to its end; null when it succeeded, else why not.</summary>
        public string? Run(SkillInvocation skill)
        {
            var compiled = Compile(skill);
            if (compiled.Program is null) return $"{skill}: {compiled.Error}";
            ProgramReport? report = null;
            Loop.Submit(compiled.Program, r => report = r);
            for (int n = 0; report is null && n < 20_000; n++) Loop.TickOnce();
            if (report is null) return $"{skill}: did not finish";
            return report.Status == ProgramStatus.Succeeded ? null : $"{skill}: {report.AnomalyKind}: {report.Detail}";
        }

        public void Idle(int ticks) { for (int i = 0; i < ticks; i++) Loop.TickOnce(); }

        public void Dispose() => World.Dispose();
    }

    /// <summary>Runs <paramref name="plan"/> (skill, args...) on one seed; null when the goal holds at the end, else the first failure or the unmet relations.</summary>
    private static string? Episode(string scene, int seed, IReadOnlyList<SkillInvocation> plan, TaskGoal goal)
    {
        using var rig = new Rig(scene, seed);
        var before = rig.World.Snapshot();
        foreach (var skill in plan)
        {
            if (rig.Run(skill) is { } failure) return failure;
            if (skill.Skill is SkillNames.Place or SkillNames.Stack) rig.Idle(150);  // let the released object come to rest
        }
        rig.Idle(500);
        return goal.Check(before, rig.World.Snapshot());
    }

    private double Rate(string family, string scene, Func<MuJoCoWorld, (SkillInvocation[] Plan, TaskGoal Goal)> task)
    {
        int ok = 0;
        foreach (var seed in Seeds)
        {
            (SkillInvocation[] Plan, TaskGoal Goal) t;
            using (var w = new MuJoCoWorld(scene)) { w.ResetScene(seed); t = task(w); }
            var failure = Episode(scene, seed, t.Plan, t.Goal);
            if (failure is null) ok++;
            else output.WriteLine($"{family} seed {seed}: {failure}");
        }
        double rate = ok / (double)Seeds.Length;
        output.WriteLine($"{family} on {Path.GetFileName(scene)}: {ok}/{Seeds.Length} seeds ({Seeds[0]}..{Seeds[^1]}) met the goal");
        return rate;
    }

    private static SkillInvocation[] PickPlace(IEnumerable<(string Object, string Container)> moves) =>
        [.. moves.SelectMany(m => new[] { SkillInvocation.Of(SkillNames.Pick, m.Object), SkillInvocation.Of(SkillNames.Place, m.Object, m.Container) })];

    private static SkillInvocation[] Tower(IReadOnlyList<string> bottomUp) =>
        [.. bottomUp.Zip(bottomUp.Skip(1)).SelectMany(p => new[] { SkillInvocation.Of(SkillNames.Pick, p.Second), SkillInvocation.Of(SkillNames.Stack, p.Second, p.First) })];

    private static TaskGoal TowerGoal(IReadOnlyList<string> bottomUp) =>
        new([.. bottomUp.Zip(bottomUp.Skip(1)).Select(p => (Relation)new Relation.On(p.Second, p.First))]);

    [Fact]
    public void Three_cubes_put_into_one_bin_all_end_inside_it()
    {
        double rate = Rate("multi-place", Scene("scene.xml"), w =>
        {
            var moves = w.ObjectNames.Select(n => (n, MuJoCoWorld.BinName)).ToList();
            return (PickPlace(moves), new TaskGoal([.. moves.Select(m => (Relation)new Relation.In(m.n, m.BinName))]));
        });
        Assert.True(rate >= 0.95, $"multi-place succeeded on {rate:P0} of the seeds; the goal is 95%");
    }

    [Fact]
    public void A_two_cube_tower_holds_on()
    {
        string[] tower = ["blue_cube", "red_cube"];
        double rate = Rate("stack-2", Scene("scene.xml"), _ => (Tower(tower), TowerGoal(tower)));
        Assert.True(rate >= 0.95, $"stack-2 succeeded on {rate:P0} of the seeds; the goal is 95%");
    }

    [Fact]
    public void A_three_cube_tower_holds_on()
    {
        string[] tower = ["blue_cube", "green_cube", "red_cube"];
        double rate = Rate("stack-3", Scene("scene.xml"), _ => (Tower(tower), TowerGoal(tower)));
        Assert.True(rate >= 0.85, $"stack-3 succeeded on {rate:P0} of the seeds; the goal is 85%");
    }

    [Fact]
    public void Four_cubes_sorted_into_the_bins_of_their_colour()
    {
        double rate = Rate("sort", Scene("sort.xml"), w =>
        {
            var scene = w.Snapshot();
            var bins = scene.Objects.Where(o => o.IsContainer).ToList();
            var moves = scene.Objects.Where(o => !o.IsContainer).Select(o => (o.Name, bins.Single(b => b.Color == o.Color).Name)).ToList();
            Assert.Equal(4, moves.Count);
            return (PickPlace(moves), new TaskGoal([.. moves.Select(m => (Relation)new Relation.In(m.Item1, m.Item2))]));
        });
        Assert.True(rate >= 0.90, $"sort succeeded on {rate:P0} of the seeds; the goal is 90%");
    }

    [Fact]
    public void Cubes_of_two_sizes_are_put_away_into_two_bins()
    {
        // mixed.xml: the two 5 cm cubes into the grey bin, the four 4 cm cubes into the yellow bin
        double rate = Rate("multi-place, two sizes", Scene("mixed.xml"), w =>
        {
            var moves = w.Snapshot().Objects.Where(o => !o.IsContainer)
                .Select(o => (o.Name, o.HalfSize.X > 0.021 ? MuJoCoWorld.BinName : "yellow_bin")).ToList();
            return (PickPlace(moves), new TaskGoal([.. moves.Select(m => (Relation)new Relation.In(m.Name, m.Item2))]));
        });
        Assert.True(rate >= 0.90, $"two-size put-away succeeded on {rate:P0} of the seeds");
    }

    [Fact]
    public void A_tower_on_big_cubes_holds_on()
    {
        string[] tower = ["big_red_cube", "big_blue_cube", "green_cube"];
        double rate = Rate("stack-3, two sizes", Scene("mixed.xml"), _ => (Tower(tower), TowerGoal(tower)));
        Assert.True(rate >= 0.85, $"stack-3 on big cubes succeeded on {rate:P0} of the seeds");
    }

    [Fact]
    public void A_cube_picked_off_a_tower_goes_into_the_bin_and_leaves_the_base()
    {
        string[] tower = ["blue_cube", "red_cube"];
        double rate = Rate("unstack", Scene("scene.xml"), _ =>
            ([.. Tower(tower), .. PickPlace([("red_cube", MuJoCoWorld.BinName)])],
             new TaskGoal([new Relation.In("red_cube", MuJoCoWorld.BinName)])));
        Assert.True(rate >= 0.95, $"unstack succeeded on {rate:P0} of the seeds");
    }
}
