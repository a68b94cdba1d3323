using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Tests;

/// <summary>A skill watching its object fails with the perception's reason when the object cannot be read.</summary>
public class PerceptionAnomalyTests
{
    /// <summary>One object whose pose can be taken away with a reason, as a perceived scene does.</summary>
    private sealed class Perceived : IObjectPoses
    {
        public string? Problem;
        public IReadOnlyList<string> ObjectNames => ["red_cube"];
        public int IndexOf(string name) => name == "red_cube" ? 0 : -1;
        public bool TryGetPose(int index, out Pose pose)
        {
            pose = new Pose(new Vec3(0.4, 0.1, 0.02), Quat.Identity);
            return index == 0 && Problem is null;
        }
        public string? PoseProblem(int index) => Problem;
    }

    /// <summary>A pose source that cannot say why (the interface's default).</summary>
    private sealed class Silent : IObjectPoses
    {
        public IReadOnlyList<string> ObjectNames => ["red_cube"];
        public int IndexOf(string name) => 0;
        public bool TryGetPose(int index, out Pose pose) { pose = default; return false; }
    }

    private static ProgramStatus Run(SkillProgram program)
    {
        var state = new RobotStateBuffer(2);
        var command = new JointCommandBuffer(2);
        Control.IControlProgram p = program;
        p.Begin(0, state);
        return p.Step(1, 0.002, state, command);
    }

    private static SkillProgram Approach(IObjectPoses poses) => new("pick(red_cube)",
        [new Segment { Kind = SegmentKind.Move, Label = "approach red_cube", From = [0, 0], To = [0.1, 0.1], Duration = 1, Gripper = 0.08, GripperFrom = 0.08, WatchTarget = true }],
        0.02) { Target = new TargetWatch(poses, 0, "red_cube", new Vec3(0.4, 0.1, 0.02)) };

    [Theory]
    [InlineData(AnomalyKinds.PerceptionStale)]
    [InlineData(AnomalyKinds.ObjectVanished)]
    [InlineData(AnomalyKinds.ObjectJumped)]
    public void The_perceptions_reason_becomes_the_anomaly_kind(string kind)
    {
        var poses = new Perceived();
        var program = Approach(poses);
        Assert.Equal(ProgramStatus.Running, Run(program));
        poses.Problem = kind;
        Assert.Equal(ProgramStatus.Failed, Run(program));
        Assert.Equal(kind, program.FailureKind);
        Assert.Equal("approach red_cube: red_cube is no longer observed", program.FailureDetail);
    }

    [Fact]
    public void Without_a_reason_a_lost_target_is_a_moved_target()
    {
        var program = Approach(new Silent());
        Assert.Equal(ProgramStatus.Failed, Run(program));
        Assert.Equal(AnomalyKinds.TargetMoved, program.FailureKind);
    }
}
