"""CortexBot driving the arm in Gazebo (gz sim Harmonic) through gz_ros2_control:
starts Gazebo with worlds/cortexbot.sdf (table, bin, cubes and camera of sim/scene.xml), publishes the arm's description,
spawns it, bridges /clock, the camera, the object poses and the world control service (config/gz_bridge.yaml), spawns
joint_state_broadcaster, then the trajectory and gripper controllers, then starts CortexBot. Every process runs Cyclone
DDS (RMW_IMPLEMENTATION), as CortexBot's services and actions need.

    ros2 launch cortexbot_bringup gazebo.launch.py task:="put the red cube in the bin"

Not here yet: the objects reach ROS only as ground-truth poses (/gazebo/objects/<name>/pose); CortexBot's scene comes
from `cortexbot sim serve`'s scene topic or a perception topic, so a node turning those poses into detections is still
needed for a task to complete in Gazebo. A Gazebo reset (/world/cortexbot_tabletop/control) restores the SDF's poses.
"""
import os
import sys

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription, RegisterEventHandler, SetEnvironmentVariable
from launch.event_handlers import OnProcessExit
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import Command, EnvironmentVariable, FindExecutable, LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CONTROLLERS, CORTEXBOT_CONFIG, GZ_BRIDGE, PACKAGE, RMW_IMPLEMENTATION, URDF, WORLD, WORLD_NAME,  # noqa: E402
                    cortexbot_command)


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    args = [
        DeclareLaunchArgument('task', default_value='put the red cube in the bin'),
        DeclareLaunchArgument('episodes', default_value='1'),
        DeclareLaunchArgument('controller', default_value='joint_trajectory_controller'),
        DeclareLaunchArgument('command_interface', default_value='trajectory'),
        DeclareLaunchArgument('trajectory_interface', default_value='topic'),
        DeclareLaunchArgument('rate_hz', default_value='500'),
        DeclareLaunchArgument('stale_ms', default_value='50'),
        DeclareLaunchArgument('cortexbot', default_value='cortexbot'),
        DeclareLaunchArgument('node_name', default_value='cortexbot', description='CortexBot\'s name in `ros2 node list`'),
        # the distribution this launch runs on: its message layouts where distributions differ
        DeclareLaunchArgument('ros_distro', default_value=EnvironmentVariable('ROS_DISTRO', default_value='jazzy'),
                              description='humble or jazzy (default: $ROS_DISTRO)'),
        DeclareLaunchArgument('world', default_value=os.path.join(share, WORLD), description='SDF world (default: sim/scene.xml\'s)'),
        DeclareLaunchArgument('world_name', default_value=WORLD_NAME, description='the <world name> of that file (its control service)'),
    ]
    description = ParameterValue(
        Command([FindExecutable(name='xacro'), ' ', os.path.join(share, URDF),
                 ' hardware:=gazebo controllers_file:=', os.path.join(share, CONTROLLERS)]),
        value_type=str)

    gazebo = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(get_package_share_directory('ros_gz_sim'), 'launch', 'gz_sim.launch.py')),
        launch_arguments={'gz_args': ['-r ', LaunchConfiguration('world')]}.items())
    state_publisher = Node(package='robot_state_publisher', executable='robot_state_publisher',
                           parameters=[{'robot_description': description, 'use_sim_time': True}])
    spawn_robot = Node(package='ros_gz_sim', executable='create', output='screen',
                       arguments=['-topic', 'robot_description', '-name', 'cortexbot_arm', '-allow_renaming', 'true'])
    bridge = Node(package='ros_gz_bridge', executable='parameter_bridge', name='gz_bridge', output='screen',
                  parameters=[{'config_file': os.path.join(share, GZ_BRIDGE), 'use_sim_time': True}])
    # the world's reset/pause service: ros2 service call /world/<name>/control ros_gz_interfaces/srv/ControlWorld ...
    world_control = Node(package='ros_gz_bridge', executable='parameter_bridge', name='gz_world_control', output='screen',
                         arguments=[['/world/', LaunchConfiguration('world_name'), '/control@ros_gz_interfaces/srv/ControlWorld']])
    spawn_jsb = Node(package='controller_manager', executable='spawner', arguments=['joint_state_broadcaster'])
    spawn_arm = Node(package='controller_manager', executable='spawner',
                     arguments=[LaunchConfiguration('controller'), 'gripper_controller',
                                '--param-file', os.path.join(share, CONTROLLERS)])
    cortexbot = ExecuteProcess(
        cmd=cortexbot_command(LaunchConfiguration('cortexbot'), LaunchConfiguration('task'), LaunchConfiguration('controller'),
                              LaunchConfiguration('command_interface'), LaunchConfiguration('rate_hz'),
                              LaunchConfiguration('stale_ms'), LaunchConfiguration('episodes'),
                              LaunchConfiguration('trajectory_interface'), node_name=LaunchConfiguration('node_name'),
                              ros_distro=LaunchConfiguration('ros_distro'),
                              config=os.path.join(share, CORTEXBOT_CONFIG)),
        output='screen')
    return LaunchDescription([SetEnvironmentVariable('RMW_IMPLEMENTATION', RMW_IMPLEMENTATION)] + args + [
        gazebo,
        state_publisher,
        bridge,
        world_control,
        spawn_robot,
        RegisterEventHandler(OnProcessExit(target_action=spawn_robot, on_exit=[spawn_jsb])),
        RegisterEventHandler(OnProcessExit(target_action=spawn_jsb, on_exit=[spawn_arm])),
        RegisterEventHandler(OnProcessExit(target_action=spawn_arm, on_exit=[cortexbot])),
    ])
