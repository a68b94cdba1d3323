// Parses a URDF with liburdfdom (Debian's liburdfdom-dev, the parser under ROS 2's urdf package and robot_state_publisher)
// and prints its joints, one tab-separated line each, for LaunchPackageTests; exit 1 when the parser refuses the file.
//   g++ urdf_check.cpp $(pkg-config --cflags --libs urdfdom) -o urdf_check && ./urdf_check arm.urdf
#include <iostream>
#include <urdf_parser/urdf_parser.h>

int main(int argc, char **argv)
{
  if (argc != 2) { std::cerr << "usage: urdf_check FILE.urdf\n"; return 2; }
  urdf::ModelInterfaceSharedPtr model = urdf::parseURDFFile(argv[1]);
  if (!model) { std::cout << "error\tliburdfdom refused " << argv[1] << '\n'; return 1; }
  std::cout.precision(12);
  std::cout << "robot\t" << model->getName() << '\t' << model->getRoot()->name << '\t' << model->links_.size() << '\n';
  for (const auto &[name, joint] : model->joints_)
  {
    const char *type = joint->type == urdf::Joint::REVOLUTE ? "revolute" : joint->type == urdf::Joint::PRISMATIC ? "prismatic"
                     : joint->type == urdf::Joint::FIXED ? "fixed" : joint->type == urdf::Joint::CONTINUOUS ? "continuous" : "other";
    const auto &o = joint->parent_to_joint_origin_transform.position;
    std::cout << "joint\t" << name << '\t' << type << '\t' << joint->parent_link_name << '\t' << joint->child_link_name << '\t'
              << o.x << ' ' << o.y << ' ' << o.z << '\t' << joint->axis.x << ' ' << joint->axis.y << ' ' << joint->axis.z;
    if (joint->limits)
      std::cout << '\t' << joint->limits->lower << '\t' << joint->limits->upper << '\t' << joint->limits->velocity << '\t' << joint->limits->effort;
    std::cout << '\n';
  }
  return 0;
}
