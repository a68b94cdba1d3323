using CortexBot.Brainstem.Ros2;
using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>The simulator node on a thread of its own, on a fresh loopback domain.</summary>
internal sealed class SimNodeThread : IDisposable
{
    public readonly int Domain = TestBus.NewDomain();
    public readonly Ros2Options Options;
    public readonly MuJoCoWorld World = MuJoCoWorld.OpenDefault();
    public readonly Ros2SimNode Sim;
    private readonly CancellationTokenSource _cts = new();
    private readonly Thread _thread;

    public SimNodeThread(double rateHz = 250)
    {
        Options = TestBus.Options(Domain) with { StaleAfter = TimeSpan.FromMilliseconds(500) };
        Sim = new Ros2SimNode(World, Options, rateHz, seed: 1);
        _thread = new Thread(() => Sim.Run(_cts.Token)) { IsBackground = true };
        _thread.Start();
    }

    public void Dispose()
    {
        _cts.Cancel();
        _thread.Join();
        Sim.Dispose();
        World.Dispose();
    }
}
