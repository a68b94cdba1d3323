using System.CommandLine;
using CortexBot.Core;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Cli.Commands;

/// <summary>
/// `cortexbot sim export-sdf`: the Gazebo world of the MJCF scene (table, bin, cubes, lights, camera), so Gazebo and the
/// embedded simulator share one source. The launch package's worlds/cortexbot.sdf is this command's output.
/// </summary>
internal static class SimExportSdfCommand
{
    public const string DefaultOut = "launch/cortexbot_bringup/worlds/cortexbot.sdf";

    public static Command Create()
    {
        var scene = CommonOptions.SceneOption();
        var output = new Option<string?>("--out", "-o") { Description = $"Write the SDF world here (default: stdout); the launch package's copy is {DefaultOut}" };
        var cmd = new Command("export-sdf", "Write the Gazebo (gz sim) SDF world of the MJCF scene: fixtures, objects, lights and the camera (the arm comes from the URDF)")
            { scene, output };
        cmd.SetAction(parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene);
            if (!File.Exists(path)) throw new ConfigurationException($"scene file not found: {path}");
            var sdf = SdfWorldExporter.Export(path);
            if (parse.GetValue(output) is { } file)
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(file));
                if (dir is not null && !Directory.Exists(dir)) throw new ConfigurationException($"output folder does not exist: {dir}");
                File.WriteAllText(file, sdf);
                Console.Error.WriteLine($"wrote {file}");
            }
            else Console.Out.Write(sdf);
            return 0;
        });
        return cmd;
    }
}
