// Loads an SDF world with libsdformat (Debian's libsdformat-dev, the parser Gazebo uses) and prints what it understood,
// one record per line, tab-separated, for LaunchPackageTests: the parser's errors first, then the world's content.
//   g++ sdf_check.cpp $(pkg-config --cflags --libs sdformat12) -o sdf_check && ./sdf_check world.sdf
#include <iostream>
#include <sdf/sdf.hh>

static void plugins(const sdf::ElementPtr &parent, const std::string &owner)
{
  if (!parent || !parent->HasElement("plugin")) return;
  for (auto p = parent->GetElement("plugin"); p; p = p->GetNextElement("plugin"))
    std::cout << "plugin\t" << owner << '\t' << p->Get<std::string>("filename") << '\t' << p->Get<std::string>("name") << '\n';
}

int main(int argc, char **argv)
{
  if (argc != 2) { std::cerr << "usage: sdf_check FILE.sdf\n"; return 2; }
  std::cout.precision(12);
  sdf::Root root;
  sdf::Errors errors = root.Load(argv[1]);
  for (const auto &e : errors) std::cout << "error\t" << static_cast<int>(e.Code()) << '\t' << e.Message() << '\n';
  std::cout << "version\t" << root.Version() << '\n';
  for (uint64_t w = 0; w < root.WorldCount(); ++w)
  {
    const sdf::World *world = root.WorldByIndex(w);
    const auto g = world->Gravity();
    std::cout << "world\t" << world->Name() << '\t' << g.X() << ' ' << g.Y() << ' ' << g.Z() << '\t'
              << (world->PhysicsDefault() ? world->PhysicsDefault()->MaxStepSize() : -1) << '\n';
    plugins(world->Element(), world->Name());
    for (uint64_t l = 0; l < world->LightCount(); ++l)
      std::cout << "light\t" << world->LightByIndex(l)->Name() << '\t' << static_cast<int>(world->LightByIndex(l)->Type()) << '\n';
    for (uint64_t m = 0; m < world->ModelCount(); ++m)
    {
      const sdf::Model *model = world->ModelByIndex(m);
      const auto p = model->RawPose();
      std::cout << "model\t" << model->Name() << '\t' << (model->Static() ? "static" : "dynamic") << '\t'
                << p.Pos().X() << ' ' << p.Pos().Y() << ' ' << p.Pos().Z() << ' '
                << p.Rot().Roll() << ' ' << p.Rot().Pitch() << ' ' << p.Rot().Yaw() << '\n';
      plugins(model->Element(), model->Name());
      for (uint64_t k = 0; k < model->LinkCount(); ++k)
      {
        const sdf::Link *link = model->LinkByIndex(k);
        std::cout << "link\t" << model->Name() << '\t' << link->Name() << '\t' << link->Inertial().MassMatrix().Mass() << '\n';
        for (uint64_t c = 0; c < link->CollisionCount(); ++c)
        {
          const sdf::Geometry *geo = link->CollisionByIndex(c)->Geom();
          std::cout << "collision\t" << model->Name() << '\t' << link->CollisionByIndex(c)->Name() << '\t' << static_cast<int>(geo->Type());
          if (geo->BoxShape()) std::cout << '\t' << geo->BoxShape()->Size().X() << ' ' << geo->BoxShape()->Size().Y() << ' ' << geo->BoxShape()->Size().Z();
          std::cout << '\n';
        }
        for (uint64_t v = 0; v < link->VisualCount(); ++v)
        {
          const sdf::Visual *visual = link->VisualByIndex(v);
          std::cout << "visual\t" << model->Name() << '\t' << visual->Name();
          if (visual->Material())
          {
            const auto d = visual->Material()->Diffuse();
            std::cout << '\t' << d.R() << ' ' << d.G() << ' ' << d.B() << ' ' << d.A();
          }
          std::cout << '\n';
        }
        for (uint64_t s = 0; s < link->SensorCount(); ++s)
        {
          const sdf::Sensor *sensor = link->SensorByIndex(s);
          std::cout << "sensor\t" << model->Name() << '\t' << sensor->Name() << '\t' << sensor->TypeStr() << '\t' << sensor->Topic() << '\t' << sensor->UpdateRate();
          if (const sdf::Camera *cam = sensor->CameraSensor())
            std::cout << '\t' << cam->HorizontalFov().Radian() << '\t' << cam->ImageWidth() << '\t' << cam->ImageHeight()
                      << '\t' << cam->LensIntrinsicsFx() << '\t' << cam->LensIntrinsicsFy() << '\t' << cam->LensIntrinsicsCx() << '\t' << cam->LensIntrinsicsCy();
          std::cout << '\n';
        }
      }
    }
  }
  return errors.empty() ? 0 : 1;
}
