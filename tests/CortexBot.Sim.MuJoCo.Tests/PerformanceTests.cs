using CortexBot.Core.Ports;
using Xunit.Abstractions;

namespace CortexBot.Sim.MuJoCo.Tests;

public sealed class PerformanceTests(ITestOutputHelper output)
{
    [Fact]
    public void Read_and_Write_allocate_nothing_after_warm_up()
    {
        using var world = TestWorld.Open(seed: 13);
        var state = new RobotStateBuffer(6);
        var cmd = TestWorld.HomeCommand(world);
        for (int t = 0; t < 300; t++)
        {
            world.Read(state);
            cmd.Position[0] = world.HomePosition[0] + 0.1 * Math.Sin(t * 0.01);
            world.Write(cmd);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 2000; t++)
        {
            world.Read(state);
            cmd.Position[0] = world.HomePosition[0] + 0.1 * Math.Sin(t * 0.01);
            cmd.GripperOpening = 0.04 + 0.04 * Math.Cos(t * 0.01);
            world.Write(cmd);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"allocated over 2000 Read+Write: {allocated} bytes");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Each_write_advances_physics_by_one_control_period_and_snapshots_do_not()
    {
        // Speed is measured by benchmarks; here what a tick does to simulated time, which the run report's robot time relies on.
        using var world = TestWorld.Open(seed: 14);
        var state = new RobotStateBuffer(6);
        var cmd = TestWorld.HomeCommand(world);
        double start = world.SimTime;
        const int ticks = 1000;
        for (int t = 0; t < ticks; t++)
        {
            world.Read(state);
            world.Write(cmd);
        }
        Assert.Equal(start + ticks * world.ControlPeriod, world.SimTime, 9);
        Assert.True(world.Substeps >= 1);

        double before = world.SimTime;
        for (int t = 0; t < 50; t++) world.Snapshot();
        Assert.Equal(before, world.SimTime);
    }
}
