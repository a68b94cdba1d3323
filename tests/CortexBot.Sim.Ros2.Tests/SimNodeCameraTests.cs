using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>The simulator node's camera: images are rendered off the tick, so a camera that fails never stops the arm.</summary>
public sealed class SimNodeCameraTests
{
    [Fact]
    public void A_node_whose_camera_fails_keeps_serving_the_arm_and_says_why()
    {
        var o = TestBus.Options(TestBus.NewDomain()) with { ImageRateHz = 20 };
        using var camera = new FailingCamera();
        using var world = MuJoCoWorld.OpenDefault();
        using var node = new Ros2SimNode(world, o, 250, seed: 1, camera);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(800));
        node.Run(cts.Token);
        Assert.True(node.Counters.ImageFailures > 0);
        Assert.Equal(0, node.Counters.ImagesPublished);
        Assert.Contains("no GL available", node.ImageProblem, StringComparison.Ordinal);
        Assert.True(node.Counters.Ticks > 50, $"{node.Counters.Ticks} ticks");
        Assert.True(node.Counters.ControllerStates > 5);
    }
}

/// <summary>A camera on a machine without GL: every capture fails.</summary>
internal sealed class FailingCamera : ISceneCamera
{
    public int Width => 320;
    public int Height => 240;

    public Task<CameraFrame> CaptureAsync(CancellationToken cancellationToken = default) =>
        Task.FromException<CameraFrame>(new InvalidOperationException("MuJoCo failed to render a frame: no GL available"));

    public void Dispose() { }
}
