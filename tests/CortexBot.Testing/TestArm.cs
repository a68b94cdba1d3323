using CortexBot.Core;
using CortexBot.Core.Robot;

namespace CortexBot.Testing;

public static class TestArm
{
    public static ArmModel Model { get; } = ArmModel.FromMjcf(RepoPaths.DefaultScene);
}
