using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo.Tests;

/// <summary>MuJoCo's fatal errors (which would call exit() by default) become exceptions, and the world recovers on reset.</summary>
public sealed class NativeErrorTests : IDisposable
{
    private readonly string _tempDir = Directory.CreateTempSubdirectory("cortexbot-mujoco-").FullName;

    public void Dispose() => Directory.Delete(_tempDir, recursive: true);

    [Fact]
    public void A_mujoco_engine_error_during_a_step_throws_and_reset_recovers()
    {
        var scene = File.ReadAllText(RepoPaths.DefaultScene);
        // a stack just big enough to load and hold still, too small once the three cubes are piled up
        foreach (int nstack in Enumerable.Range(0, 20).Select(i => 2400 + 50 * i))
        {
            var path = Path.Combine(_tempDir, $"scene_{nstack}.xml");
            File.WriteAllText(path, scene.Replace("<option ", $"<size nstack=\"{nstack}\"/>\n  <option "));
            MuJoCoWorld world;
            try { world = new MuJoCoWorld(path); }
            catch (ConfigurationException e) when (e.Message.Contains("Stack overflow")) { continue; }
            using (world)
            {
                world.Start(TestWorld.Period);
                world.ResetScene(1);
                var cmd = TestWorld.HomeCommand(world);
                try { TestWorld.Run(world, cmd, 0.2); }
                catch (InvalidOperationException) { continue; } // too small even for the scattered scene
                world.ResetScene(1);
                var names = world.ObjectNames;
                for (int c = 0; c < names.Length; c++)
                    world.SetObjectPose(names[c], new Pose(new Vec3(0.39 + 0.001 * c, 0, 0.02 + 0.041 * c), Quat.Identity));
                InvalidOperationException? error = null;
                try { TestWorld.Run(world, cmd, 1.0); }
                catch (InvalidOperationException e) { error = e; }
                if (error is null) continue;

                Assert.Contains("Stack overflow", error.Message);
                world.ResetScene(1);
                TestWorld.Run(world, cmd, 0.1);
                var state = new RobotStateBuffer(6);
                Assert.True(world.Read(state));
                Assert.True(state.IsFinite());
                Assert.Equal(0.1, world.SimTime, 9);
                return;
            }
        }
        Assert.Fail("no stack size between 2400 and 3350 made the piled-up scene overflow; adjust the test to the scene");
    }
}
