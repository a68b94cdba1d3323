using CortexBot.Testing;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;

namespace CortexBot.Brainstem.Tests;

public class SafetyGateTests
{
    private static (SafetyGate gate, FakeArmLink link, JointCommandBuffer cmd) Make()
    {
        var link = new FakeArmLink(TestArm.Model);
        var gate = new SafetyGate(link, TestArm.Model);
        gate.Start(0.002);
        var cmd = new JointCommandBuffer(6);
        for (int i = 0; i < 6; i++) cmd.Position[i] = TestArm.Model.Home[i];
        cmd.GripperOpening = 0.08;
        return (gate, link, cmd);
    }

    [Fact]
    public void Commands_beyond_position_or_velocity_limits_are_clamped()
    {
        var (gate, link, cmd) = Make();
        var rng = new Random(1);
        for (int k = 0; k < 2000; k++)
        {
            for (int i = 0; i < 6; i++) cmd.Position[i] = (rng.NextDouble() - 0.5) * 20;
            cmd.GripperOpening = (rng.NextDouble() - 0.5);
            gate.Write(cmd);
        }
        Assert.True(link.MaxLimitViolation <= 0);
        Assert.True(link.MaxStepRatio <= 1 + 1e-9);
        Assert.True(gate.ClampedCommands > 1900);
    }

    [Fact]
    public void Non_finite_commands_and_emergency_stop_hold_the_last_safe_command()
    {
        var (gate, link, cmd) = Make();
        cmd.Position[0] = 0.001;
        gate.Write(cmd);
        var safe = (double[])link.LastCommand.Clone();
        cmd.Position[1] = double.NaN;
        gate.Write(cmd);
        Assert.Equal(safe, link.LastCommand);
        Assert.Equal(1, gate.RejectedCommands);

        cmd.Position[1] = TestArm.Model.Home[1];
        gate.EmergencyStop();
        cmd.Position[0] = 0.004;
        gate.Write(cmd);
        Assert.Equal(safe, link.LastCommand);
        gate.Release();
        gate.Write(cmd);
        Assert.Equal(0.004, link.LastCommand[0], 9);
    }

    [Fact]
    public void Joint_name_mismatch_is_a_clear_error_at_start()
    {
        var arm = TestArm.Model with { Joints = TestArm.Model.Joints.Select((j, i) => i == 3 ? j with { Name = "forearm" } : j).ToList() };
        var e = Assert.Throws<ConfigurationException>(() => new SafetyGate(new FakeArmLink(TestArm.Model), arm));
        Assert.Contains("forearm", e.Message);
    }
}
