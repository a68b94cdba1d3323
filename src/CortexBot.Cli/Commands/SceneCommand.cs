using System.CommandLine;
using System.Text.Json;
using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Core.Imaging;
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
        var image = new Option<string?>("--image") { Description = "Also render the scene camera headlessly and write the frame to this PNG file" };
        var size = new Option<string>("--image-size") { Description = "Frame size WIDTHxHEIGHT", DefaultValueFactory = _ => "320x240" };
        var json = CliOutput.JsonOption();
        var cmd = new Command("scene", "Print the objects of the simulated scene for a seed (and optionally save a camera image).") { seed, scene, image, size, json };
        cmd.SetAction(parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene);
            bool asJson = parse.GetValue(json);
            using var world = new MuJoCoWorld(path);
            world.ResetScene(parse.GetValue(seed));
            var objects = world.Snapshot().Objects;
            if (!asJson)
                foreach (var o in objects)
                    Console.WriteLine($"{o.Name,-12} {o.Kind,-5} at {o.Pose.Position}");
            object? written = null;
            var imagePath = parse.GetValue(image);
            if (imagePath is not null)
            {
                var (width, height) = CommonOptions.ParseFrameSize(parse.GetValue(size)!, "--image-size");
                using var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = width, Height = height });
                var frame = camera.CaptureAsync().GetAwaiter().GetResult();
                var full = Path.GetFullPath(imagePath);
                File.WriteAllBytes(full, PngEncoder.Encode(frame));
                if (!asJson) Console.WriteLine($"camera image {width}x{height} written to {full}");
                written = new { Path = full, Width = width, Height = height };
            }
            if (asJson)
                CliOutput.WriteJson(new
                {
                    Seed = parse.GetValue(seed), Scene = path,
                    Objects = objects.Select(o => new { o.Name, Kind = o.Kind.ToString().ToLowerInvariant(), Position = new[] { o.Pose.Position.X, o.Pose.Position.Y, o.Pose.Position.Z } }),
                    Image = written,
                });
            return 0;
        });
        return cmd;
    }

}
