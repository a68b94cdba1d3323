using CortexBot.Core;
using CortexBot.Core.Robot;

namespace CortexBot.Cerebellum.Tests;

public static class TestArm
{
    public static ArmModel Model { get; } = ArmModel.FromMjcf(RepoPaths.DefaultScene);
}
