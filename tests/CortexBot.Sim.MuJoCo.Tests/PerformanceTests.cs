using System.Diagnostics;
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
    public void Throughput_is_reported()
    {
        using var world = TestWorld.Open(seed: 14);
        var state = new RobotStateBuffer(6);
        var cmd = TestWorld.HomeCommand(world);
        for (int t = 0; t < 500; t++) world.Write(cmd);
        const int ticks = 5000;
        var sw = Stopwatch.StartNew();
        for (int t = 0; t < ticks; t++)
        {
            world.Read(state);
            world.Write(cmd);
        }
        sw.Stop();
        double perSecond = ticks / sw.Elapsed.TotalSeconds;
        output.WriteLine($"{perSecond:F0} control ticks/s (Read+Write, {world.Substeps} physics step each): {perSecond * world.ControlPeriod:F1}x real time, {1e6 / perSecond:F1} us per tick");

        var snapWatch = Stopwatch.StartNew();
        int snaps = 0;
        for (int t = 0; t < 500; t++, snaps++)
        {
            world.Write(cmd);
            world.Snapshot();
        }
        output.WriteLine($"Write+Snapshot: {snaps / snapWatch.Elapsed.TotalSeconds:F0}/s");
    }
}
