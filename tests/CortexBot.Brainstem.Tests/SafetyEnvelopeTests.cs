using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Testing;

namespace CortexBot.Brainstem.Tests;

/// <summary>Each envelope limit holds when the commands (a skill's or a policy's) go past it: checked on every command the arm receives.</summary>
public class SafetyEnvelopeTests
{
    private const double Period = 0.002;
    private static readonly ArmModel Arm = TestArm.Model;
    private static SafetyEnvelope Default => SafetyEnvelope.ForScene(RepoPaths.DefaultScene, 0.25);

    /// <summary>A gate over the test arm; records the worst envelope violation and tool step of every command the link gets.</summary>
    private sealed class Rig
    {
        public readonly FakeArmLink Link = new(Arm);
        public readonly SafetyGate Gate;
        public readonly JointCommandBuffer Cmd = new(Arm.Dof);
        public double WorstViolation, WorstStep, LowestZ = double.MaxValue;
        private Vec3? _prevTool;

        public Rig(SafetyEnvelope env)
        {
            Gate = new SafetyGate(Link, Arm, env);
            Link.OnWrite = c =>
            {
                Arm.HandPoints(c.Position, c.GripperOpening, out var tool, out var left, out var right);
                WorstViolation = Math.Max(WorstViolation, env.Violation(tool) + env.Violation(left) + env.Violation(right));
                LowestZ = Math.Min(LowestZ, Math.Min(tool.Z, Math.Min(left.Z, right.Z)));
                if (_prevTool is { } p) WorstStep = Math.Max(WorstStep, (tool - p).Norm);
                _prevTool = tool;
            };
            Gate.Start(Period);
            for (int i = 0; i < Arm.Dof; i++) Cmd.Position[i] = Arm.Home[i];
            Cmd.GripperOpening = Arm.GripperMaxOpening;
        }

        public void Drive(int ticks, Func<int, int, double> joint)
        {
            for (int t = 0; t < ticks; t++)
            {
                for (int i = 0; i < Arm.Dof; i++) Cmd.Position[i] = joint(t, i);
                Gate.Write(Cmd);
            }
        }
    }

    [Fact]
    public void The_default_envelope_reads_the_table_top_from_the_scene()
    {
        var env = SafetyEnvelope.ForScene(RepoPaths.DefaultScene);
        Assert.Equal(0, env.TableHeight, 9);
        Assert.Equal(-0.30, env.WorkspaceMin.X, 9);
        Assert.Equal(0.90, env.WorkspaceMax.X, 9);
        Assert.Equal(0.80, env.WorkspaceMax.Y, 9);
        Assert.Equal(SafetyEnvelope.CollaborativeToolSpeed, env.MaxToolSpeed);
        Assert.True(env.Contains(Arm.ToolPose(Arm.Home.ToArray()).Position));
        Assert.Contains("table z=0 + margin 0.002 m, tool speed <= 0.25 m/s", env.ToString());
    }

    [Fact]
    public void The_fingertips_are_read_from_the_finger_pads()
    {
        // The pads reach 15 mm past the tcp (scene.xml: tcp at 0.12, pads end at 0.135 along link6 z).
        Assert.Equal(0.135, Arm.FingerTipOffset.Z, 9);
        Assert.Equal(0.12, Arm.ToolOffset.Z, 9);
    }

    [Fact]
    public void Bad_envelopes_are_clear_errors()
    {
        Assert.Contains("--max-tool-speed", Assert.Throws<ConfigurationException>(() => (Default with { MaxToolSpeed = 0 }).Validate()).Message);
        Assert.Contains("below its maximum", Assert.Throws<ConfigurationException>(() => (Default with { WorkspaceMin = new Vec3(1, 0, 0), WorkspaceMax = new Vec3(0, 1, 1) }).Validate()).Message);
        Assert.Contains("margin", Assert.Throws<ConfigurationException>(() => (Default with { TableMargin = -0.01 }).Validate()).Message);
        Assert.Contains("six numbers", Assert.Throws<ConfigurationException>(() => SafetyEnvelope.ParseWorkspace("0,0,0,1,1")).Message);
        Assert.Contains("six numbers", Assert.Throws<ConfigurationException>(() => SafetyEnvelope.ParseWorkspace("0,0,0,1,x,1")).Message);
        var (min, max) = SafetyEnvelope.ParseWorkspace("-0.1, -0.5, 0, 0.8,0.5,1");
        Assert.Equal(new Vec3(-0.1, -0.5, 0), min);
        Assert.Equal(new Vec3(0.8, 0.5, 1), max);
        Assert.Throws<ConfigurationException>(() => new SafetyGate(new FakeArmLink(Arm), Arm, Default with { MaxToolSpeed = double.NaN }));
    }

    [Fact]
    public void The_tool_and_fingertips_are_never_commanded_below_the_table()
    {
        var rig = new Rig(Default with { MaxToolSpeed = 5 });
        // Lower the shoulder and elbow steadily towards and past the table, as a runaway skill or policy would.
        rig.Drive(4000, (t, i) => i switch { 1 => Arm.Home[1] + 1.8 * t / 4000.0, 2 => Arm.Home[2] + 1.5 * t / 4000.0, _ => Arm.Home[i] });
        Assert.True(rig.Gate.EnvelopeHolds > 0);
        Assert.True(rig.LowestZ >= Default.Floor - 1e-9, $"lowest point {rig.LowestZ}");
        Assert.Equal(0, rig.WorstViolation, 12);
    }

    [Fact]
    public void The_tool_is_never_commanded_outside_the_workspace_box()
    {
        var env = Default with { WorkspaceMin = new Vec3(0.0, -0.3, 0), WorkspaceMax = new Vec3(0.8, 0.3, 1.0), MaxToolSpeed = 5 };
        var home = Arm.ToolPose(Arm.Home.ToArray()).Position;
        Assert.True(env.Contains(home), $"home tool at {home}");
        var rig = new Rig(env);
        // Swing the base round: the tool leaves the box sideways.
        rig.Drive(3000, (t, i) => i == 0 ? Arm.Home[0] + 2.5 * t / 3000.0 : Arm.Home[i]);
        Assert.True(rig.Gate.EnvelopeHolds > 0);
        Assert.Equal(0, rig.WorstViolation, 12);
        // Random commands (a policy gone wrong) never get out either.
        var rng = new Random(7);
        rig.Drive(3000, (t, i) => (rng.NextDouble() - 0.5) * 6);
        Assert.Equal(0, rig.WorstViolation, 12);
    }

    [Fact]
    public void The_tool_is_never_commanded_faster_than_the_limit_and_still_arrives()
    {
        var rig = new Rig(Default);
        var target = Arm.Home.Select((h, i) => i switch { 0 => h + 0.8, 1 => h + 0.3, _ => h }).ToArray();
        rig.Drive(3000, (t, i) => target[i]);
        Assert.True(rig.Gate.SpeedScaled > 0);
        Assert.True(rig.WorstStep <= 0.25 * Period * (1 + 1e-9), $"tool step {rig.WorstStep * 1e3:F4} mm per tick");
        Assert.True(rig.Gate.PeakToolSpeed <= 0.25 + 1e-9);
        for (int i = 0; i < Arm.Dof; i++) Assert.Equal(target[i], rig.Link.LastCommand[i], 9);
        Assert.Equal(0, rig.WorstViolation, 12);
    }

    [Fact]
    public void An_arm_found_outside_the_envelope_may_be_commanded_back_in()
    {
        // The box starts 5 cm to the left of home: a command that swings the tool further right is held, one that swings it
        // towards the box passes.
        var home = Arm.ToolPose(Arm.Home.ToArray()).Position;
        var env = Default with { WorkspaceMin = new Vec3(-0.3, home.Y + 0.05, 0), WorkspaceMax = new Vec3(0.9, 0.8, 1.2), MaxToolSpeed = 5 };
        var link = new FakeArmLink(Arm);
        var gate = new SafetyGate(link, Arm, env);
        gate.Start(Period);
        var cmd = new JointCommandBuffer(Arm.Dof);
        for (int i = 0; i < Arm.Dof; i++) cmd.Position[i] = Arm.Home[i];
        cmd.GripperOpening = Arm.GripperMaxOpening;
        var q = Arm.Home.ToArray();
        q[0] += 0.1;
        double sign = Arm.ToolPose(q).Position.Y > home.Y ? 1 : -1;
        for (int t = 1; t <= 200; t++) { cmd.Position[0] = Arm.Home[0] - sign * 0.2 * t / 200.0; gate.Write(cmd); }
        Assert.Equal(200, gate.EnvelopeHolds);
        Assert.Equal(home.Y, Arm.ToolPose(link.LastCommand).Position.Y, 9);
        for (int t = 1; t <= 1000; t++) { cmd.Position[0] = Arm.Home[0] + sign * 0.6 * t / 1000.0; gate.Write(cmd); }
        Assert.Equal(200, gate.EnvelopeHolds);
        Assert.True(env.Contains(Arm.ToolPose(link.LastCommand).Position), $"tool at {Arm.ToolPose(link.LastCommand).Position}");
    }

    [Fact]
    public void The_gate_with_an_envelope_allocates_nothing_per_command()
    {
        var link = new FakeArmLink(Arm);
        var gate = new SafetyGate(link, Arm, Default);
        gate.Start(Period);
        var cmd = new JointCommandBuffer(Arm.Dof);
        cmd.GripperOpening = 0.04;
        var rng = new Random(3);
        var targets = Enumerable.Range(0, 1000).Select(_ => Arm.Home.Select(h => h + (rng.NextDouble() - 0.5) * 2).ToArray()).ToArray();
        long bytes = Allocations.SteadyState(() =>
        {
            for (int k = 0; k < 1000; k++)
            {
                Array.Copy(targets[k], cmd.Position, Arm.Dof);
                gate.Write(cmd);
            }
        });
        Assert.True(gate.SpeedScaled + gate.EnvelopeHolds > 0);
        Assert.Equal(0, bytes);
    }
}
