"""CortexBot beside a physical arm: the arm's own driver (ros2_control hardware plugin), controller_manager with
joint_state_broadcaster, the trajectory controller and the gripper controller, robot_state_publisher, and CortexBot.

    ros2 launch cortexbot_bringup robot.launch.py hardware:=my_arm_driver/MyArmHardware task:="put the red cube in the bin"

Set use_controller_manager:=false when the arm's vendor launch already runs controller_manager and the controllers.
Without an arm, use_mock_hardware:=true runs the same bringup on mock_components/GenericSystem (commands echoed as states).
Every process runs Cyclone DDS (RMW_IMPLEMENTATION), as CortexBot's services and actions need.
"""
import os
import sys

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, RegisterEventHandler, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.event_handlers import OnProcessExit
from launch.substitutions import Command, EnvironmentVariable, FindExecutable, LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CONTROLLERS, CORTEXBOT_CONFIG, PACKAGE, RMW_IMPLEMENTATION, URDF, cortexbot_command  # noqa: E402


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    args = [
        DeclareLaunchArgument('hardware', default_value='',
                              description='ros2_control hardware plugin of the physical arm (required unless use_mock_hardware:=true)'),
        DeclareLaunchArgument('use_mock_hardware', default_value='false',
                              description='true: mock_components/GenericSystem instead of an arm (try the bringup without one)'),
        DeclareLaunchArgument('task', default_value='put the red cube in the bin'),
        DeclareLaunchArgument('episodes', default_value='1'),
        DeclareLaunchArgument('controller', default_value='joint_trajectory_controller'),
        DeclareLaunchArgument('command_interface', default_value='trajectory', description='trajectory or forward'),
        DeclareLaunchArgument('trajectory_interface', default_value='topic',
                              description='topic (~/joint_trajectory) or action (~/follow_joint_trajectory)'),
        DeclareLaunchArgument('rate_hz', default_value='500'),
        DeclareLaunchArgument('stale_ms', default_value='50'),
        DeclareLaunchArgument('cortexbot', default_value='cortexbot', description='path of the cortexbot launcher'),
        DeclareLaunchArgument('node_name', default_value='cortexbot', description='CortexBot\'s name in `ros2 node list`'),
        # the distribution this launch runs on: its message layouts where distributions differ
        DeclareLaunchArgument('ros_distro', default_value=EnvironmentVariable('ROS_DISTRO', default_value='jazzy'),
                              description='humble or jazzy (default: $ROS_DISTRO)'),
        DeclareLaunchArgument('use_controller_manager', default_value='true'),
    ]
    description = ParameterValue(
        Command([FindExecutable(name='xacro'), ' ', os.path.join(share, URDF),
                 ' hardware:=', LaunchConfiguration('hardware'),
                 ' use_mock_hardware:=', LaunchConfiguration('use_mock_hardware'),
                 ' controllers_file:=', os.path.join(share, CONTROLLERS)]),
        value_type=str)
    use_cm = IfCondition(LaunchConfiguration('use_controller_manager'))

    state_publisher = Node(package='robot_state_publisher', executable='robot_state_publisher',
                           parameters=[{'robot_description': description}])
    controller_manager = Node(package='controller_manager', executable='ros2_control_node',
                              parameters=[os.path.join(share, CONTROLLERS)], condition=use_cm, output='screen')
    spawn_jsb = Node(package='controller_manager', executable='spawner',
                     arguments=['joint_state_broadcaster'], condition=use_cm)
    spawn_arm = Node(package='controller_manager', executable='spawner',
                     arguments=[LaunchConfiguration('controller'), 'gripper_controller',
                                '--param-file', os.path.join(share, CONTROLLERS)], condition=use_cm)
    cortexbot = ExecuteProcess(
        cmd=cortexbot_command(LaunchConfiguration('cortexbot'), LaunchConfiguration('task'), LaunchConfiguration('controller'),
                              LaunchConfiguration('command_interface'), LaunchConfiguration('rate_hz'),
                              LaunchConfiguration('stale_ms'), LaunchConfiguration('episodes'),
                              LaunchConfiguration('trajectory_interface'), node_name=LaunchConfiguration('node_name'),
                              ros_distro=LaunchConfiguration('ros_distro'),
                              config=os.path.join(share, CORTEXBOT_CONFIG)),
        output='screen')
    return LaunchDescription([SetEnvironmentVariable('RMW_IMPLEMENTATION', RMW_IMPLEMENTATION)] + args + [
        state_publisher,
        controller_manager,
        spawn_jsb,
        RegisterEventHandler(OnProcessExit(target_action=spawn_jsb, on_exit=[spawn_arm])),
        # CortexBot waits up to 10 s for /joint_states itself, so it can start with the controllers
        cortexbot,
    ])
