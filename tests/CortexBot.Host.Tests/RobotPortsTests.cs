using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.DependencyInjection;

namespace CortexBot.Host.Tests;

/// <summary>The robot adapter's capabilities are registered as separate ports; consumers never test an instance for them.</summary>
public class RobotPortsTests
{
    private static ServiceProvider Build(Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure?.Invoke(services);
        services.AddCortexBot(TestOptions.Fast());
        return services.BuildServiceProvider();
    }

    [Fact]
    public void The_embedded_simulator_offers_every_port_from_one_world()
    {
        using var sp = Build();
        var world = sp.GetRequiredService<MuJoCoWorld>();
        Assert.Same(world, sp.GetRequiredService<IRobotLink>());
        Assert.Same(world, sp.GetRequiredService<IScenePerception>());
        Assert.Same(world, sp.GetRequiredService<IWorldReset>());
        Assert.Same(world, sp.GetRequiredService<IObjectPoses>());
        Assert.Same(world, sp.GetRequiredService<IPerturbedWorld>());
        Assert.Null(sp.GetService<ISceneCamera>());   // no mmproj, no camera
    }

    [Fact]
    public void A_robot_registered_first_replaces_the_simulator_and_offers_only_what_it_implements()
    {
        using var sp = Build(s => s.AddRobot(_ => new LinkOnly(new MuJoCoWorld(TestOptions.Fast().ScenePath))));
        var link = Assert.IsType<LinkOnly>(sp.GetRequiredService<IRobotLink>());
        Assert.Null(sp.GetService<MuJoCoWorld>());
        Assert.Same(link, sp.GetRequiredService<IScenePerception>());
        Assert.Null(sp.GetService<IWorldReset>());      // the brainstem then refuses resets clearly
        Assert.Null(sp.GetService<IObjectPoses>());     // and no learned skill is served by default
        Assert.Null(sp.GetService<IPerturbedWorld>());
    }

    [Fact]
    public void A_port_registered_before_the_robot_is_kept()
    {
        var truth = new MuJoCoWorld(TestOptions.Fast().ScenePath);
        var perception = new FaultyPerception(truth, failOnCall: 0);
        using var sp = Build(s => s.AddSingleton<IScenePerception>(perception));
        Assert.Same(perception, sp.GetRequiredService<IScenePerception>());
        Assert.Same(sp.GetRequiredService<MuJoCoWorld>(), sp.GetRequiredService<IWorldReset>());
        truth.Dispose();
    }

    /// <summary>A robot that can be read and commanded and seen, nothing more (a physical arm with a perception node).</summary>
    private sealed class LinkOnly(MuJoCoWorld inner) : IRobotLink, IScenePerception
    {
        public IReadOnlyList<string> JointNames => inner.JointNames;
        public void Start(double controlPeriodSeconds) => inner.Start(controlPeriodSeconds);
        public bool Read(RobotStateBuffer state) => inner.Read(state);
        public void Write(JointCommandBuffer command) => inner.Write(command);
        public Core.Messages.SceneSnapshot Snapshot() => inner.Snapshot();
        public void Dispose() => inner.Dispose();
    }
}
