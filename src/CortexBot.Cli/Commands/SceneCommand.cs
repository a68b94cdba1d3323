using System.CommandLine;
using System.Text.Json;
using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Host;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot scene`: print the simulated scene for a seed.</summary>
internal static class SceneCommand
{
    public static Command Create()
    {
        var seed = new Option<int>("--seed") { Description = "Scene seed", DefaultValueFactory = _ => 1 };
        var scene = CommonOptions.SceneOption();
        var cmd = new Command("scene", "Print the objects of the simulated scene for a seed.") { seed, scene };
        cmd.SetAction(parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene);
            using var world = new MuJoCoWorld(path);
            world.ResetScene(parse.GetValue(seed));
            foreach (var o in world.Snapshot().Objects)
                Console.WriteLine($"{o.Name,-12} {o.Kind,-5} at {o.Pose.Position}");
            return 0;
        });
        return cmd;
    }

}
