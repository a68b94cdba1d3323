using CortexBot.Core;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.MuJoCo.Tests;

public sealed class PerturbationTests
{
    [Fact]
    public void An_objects_mass_and_friction_change_and_survive_a_reset()
    {
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        var before = world.GetObjectPhysics("red_cube");
        Assert.Equal(0.05, before.Mass, 9);
        Assert.Equal(1.0, before.Friction, 9);
        new ObjectPerturbation("red_cube", new ObjectPhysics(0.2, 0.3)).ApplyTo(world);
        world.ResetScene(3);
        var after = world.GetObjectPhysics("red_cube");
        Assert.Equal(0.2, after.Mass, 9);
        Assert.Equal(0.3, after.Friction, 9);
        Assert.Equal(before, world.GetObjectPhysics("green_cube"));
    }

    [Fact]
    public void Properties_not_given_keep_the_scenes_values()
    {
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        ObjectPerturbation.Parse("blue_cube:mass=0.1").ApplyTo(world);
        Assert.Equal(new ObjectPhysics(0.1, 1.0), world.GetObjectPhysics("blue_cube"));
    }

    [Fact]
    public void The_world_reports_the_objects_whose_physics_were_changed_as_the_model_has_them()
    {
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        Assert.Empty(world.AppliedPerturbations());
        ObjectPerturbation.Parse("blue_cube:mass=0.1").ApplyTo(world);
        ObjectPerturbation.Parse("red_cube:slippery").ApplyTo(world);
        ObjectPerturbation.Parse("blue_cube:friction=0.5").ApplyTo(world);
        world.ResetScene(4);
        Assert.Equal(new[] { new Core.Messages.AppliedPerturbation("blue_cube", 0.1, 0.5), new Core.Messages.AppliedPerturbation("red_cube", 0.2, 0.3) },
            world.AppliedPerturbations().ToArray());
    }

    [Theory]
    [InlineData("red_cube:slippery", "red_cube", 0.2, 0.3)]
    [InlineData("blue_cube:mass=0.1", "blue_cube", 0.1, double.NaN)]
    [InlineData("green_cube: friction=0.4 , mass=0.3", "green_cube", 0.3, 0.4)]
    public void Parses_presets_and_explicit_properties(string text, string obj, double mass, double friction)
    {
        var p = ObjectPerturbation.Parse(text);
        Assert.Equal(obj, p.Object);
        Assert.Equal(mass, p.Physics.Mass);
        Assert.Equal(friction, p.Physics.Friction);
    }

    [Theory]
    [InlineData("red_cube", "expected OBJECT:slippery")]
    [InlineData("red_cube:sticky", "is not KEY=POSITIVE_NUMBER")]
    [InlineData("red_cube:mass=-1", "is not KEY=POSITIVE_NUMBER")]
    [InlineData("red_cube:colour=2", "unknown property 'colour'")]
    public void Bad_perturbations_are_configuration_errors(string text, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => ObjectPerturbation.Parse(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_objects_and_impossible_values_are_refused_and_change_nothing()
    {
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        var e = Assert.Throws<ConfigurationException>(() => ObjectPerturbation.Parse("purple_cube:slippery").ApplyTo(world));
        Assert.Contains("purple_cube", e.Message);
        Assert.Throws<ConfigurationException>(() => ObjectPerturbation.Parse("red_cube:mass=50").ApplyTo(world));
        Assert.Throws<ArgumentOutOfRangeException>(() => world.SetObjectPhysics("red_cube", new ObjectPhysics(double.NaN, 0.3)));
        var unchanged = world.GetObjectPhysics("red_cube");
        Assert.Equal(0.05, unchanged.Mass, 9);
        Assert.Equal(1.0, unchanged.Friction, 9);
    }
}
