"""Evaluates a ROS 2 launch file without ROS 2: a test double for the launch API.

    python3 evaluate_launch.py PATH/TO/x.launch.py [name:=value ...]

The modules the launch files import (launch, launch_ros, ament_index_python) are replaced by recorders: every action or
substitution the file builds is an object remembering its class name and arguments. generate_launch_description() is
called and what it built is printed as JSON:
    {"arguments": {name: default}, "processes": [[token, ...]], "process_conditions": [condition, ...], "configurations": [name, ...],
     "actions": [kind, ...], "environment": [[name, value], ...], "nodes": [{package, executable, arguments, parameters}],
     "includes": [path, ...], "packages": [name, ...]}
where a token is a string, {"config": NAME} for LaunchConfiguration(NAME), {"env": NAME, "default": D} for
EnvironmentVariable, or a list of tokens that ROS 2 would concatenate into one argument. "processes" are the cmd lists
of ExecuteProcess actions, "process_conditions" their conditions in the same order (null, or {"kind": "IfCondition" or
"UnlessCondition", "value": token}); "configurations" every LaunchConfiguration the file reads; "actions" the kinds of the
LaunchDescription's entries in order; "environment" its SetEnvironmentVariable actions; "nodes" its launch_ros Nodes;
"includes" the launch files it includes; "packages" every ROS package it names (get_package_share_directory,
FindPackageShare, Node(package=...), FindExecutable(name=...) as the package of that executable).

OpaqueFunction(function=f) is called as ROS 2 calls it, f(context), once the description is built: the context holds the
launch arguments as `ros2 launch` would (name:=value given on this command line, else the declared default), and
LaunchConfiguration(name).perform(context) returns that value; what f returns is recorded like the rest.
"""
import importlib.util
import json
import os
import sys
import types


class Recorded:
    """Any launch class: keeps its arguments so the test can see what the launch file asked for."""
    kind = 'Recorded'

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs
        CREATED.append(self)

    def __iter__(self):
        raise TypeError(f'{self.kind} is not iterable')


CREATED = []


class LaunchConfiguration(Recorded):
    """LaunchConfiguration(name): recorded, and performed in an OpaqueFunction's context."""
    kind = 'LaunchConfiguration'

    def perform(self, context):
        return context.value(self.args[0])


class Context:
    """What an OpaqueFunction's function gets: the launch arguments' values as strings."""

    def __init__(self, given, declared):
        self.given = given
        self.declared = declared

    def value(self, name):
        if name in self.given:
            return self.given[name]
        if name not in self.declared:
            raise KeyError(f"LaunchConfiguration('{name}') is not a declared launch argument")
        return self.perform(self.declared[name])

    def perform(self, value):
        if isinstance(value, str):
            return value
        if isinstance(value, (list, tuple)):
            return ''.join(self.perform(v) for v in value)
        if isinstance(value, Recorded) and value.kind == 'LaunchConfiguration':
            return self.value(value.args[0])
        if isinstance(value, Recorded) and value.kind == 'EnvironmentVariable':
            name = value.args[0] if value.args else value.kwargs['name']
            default = value.kwargs.get('default_value')
            return os.environ.get(name, '' if default is None else self.perform(default))
        raise TypeError(f'cannot perform {value!r}')


def recorder_module(name):
    module = types.ModuleType(name)

    def make(attr):
        if attr.startswith('__'):
            raise AttributeError(attr)
        cls = type(attr, (Recorded,), {'kind': attr})
        setattr(module, attr, cls)
        return cls

    module.__getattr__ = make
    return module


for name in ['launch', 'launch.actions', 'launch.conditions', 'launch.event_handlers', 'launch.launch_description_sources',
             'launch.substitutions', 'launch_ros', 'launch_ros.actions', 'launch_ros.parameter_descriptions',
             'launch_ros.substitutions', 'ament_index_python']:
    sys.modules[name] = recorder_module(name)
sys.modules['launch.substitutions'].LaunchConfiguration = LaunchConfiguration
packages = types.ModuleType('ament_index_python.packages')
SHARE_LOOKUPS = []


def share_directory(package):
    SHARE_LOOKUPS.append(package)
    return '/opt/ros/share/' + package


packages.get_package_share_directory = share_directory
sys.modules['ament_index_python.packages'] = packages


def token(value):
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Recorded):
        if value.kind == 'LaunchConfiguration':
            return {'config': value.args[0]}
        if value.kind == 'EnvironmentVariable':
            name = value.args[0] if value.args else value.kwargs['name']
            default = value.kwargs.get('default_value')
            return {'env': name, 'default': None if default is None else token(default)}
        if value.kind == 'FindExecutable':
            return {'executable': value.kwargs.get('name', value.args[0] if value.args else None)}
        if value.kind == 'ParameterValue':
            return token(value.args[0])
        if value.kind == 'Command':
            return {'command': token(value.args[0])}
        if value.kind == 'PathJoinSubstitution':
            return [token(v) for v in value.args[0]]
        return {'unsupported': value.kind}
    if isinstance(value, (list, tuple)):
        return [token(v) for v in value]
    return {'unsupported': type(value).__name__}


def declared_arguments():
    return {(r.args[0] if r.args else r.kwargs['name']): r.kwargs.get('default_value', r.args[1] if len(r.args) > 1 else None)
            for r in CREATED if r.kind == 'DeclareLaunchArgument'}


def main(path, given):
    spec = importlib.util.spec_from_file_location('launch_under_test', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate_launch_description()
    context = Context(given, declared_arguments())
    for opaque in [r for r in CREATED if r.kind == 'OpaqueFunction']:
        function = opaque.kwargs['function'] if 'function' in opaque.kwargs else opaque.args[0]
        function(context, *opaque.kwargs.get('args', []), **opaque.kwargs.get('kwargs', {}))
    arguments, processes, process_conditions, configurations = {}, [], [], []
    actions, environment, nodes, includes, names = [], [], [], [], list(SHARE_LOOKUPS)
    for r in CREATED:
        if r.kind == 'LaunchDescription' and not actions:
            entries = r.args[0] if r.args else r.kwargs.get('initial_entities', [])
            actions = [e.kind if isinstance(e, Recorded) else type(e).__name__ for e in entries]
        elif r.kind == 'SetEnvironmentVariable':
            name = r.args[0] if r.args else r.kwargs['name']
            value = r.args[1] if len(r.args) > 1 else r.kwargs['value']
            environment.append([token(name), token(value)])
        elif r.kind == 'Node':
            names.append(r.kwargs['package'])
            parameters = []
            for p in r.kwargs.get('parameters', []):
                parameters.append({k: token(v) for k, v in p.items()} if isinstance(p, dict) else token(p))
            nodes.append({'package': r.kwargs['package'], 'executable': r.kwargs['executable'],
                          'arguments': [token(a) for a in r.kwargs.get('arguments', [])], 'parameters': parameters})
        elif r.kind == 'FindPackageShare':
            names.append(r.args[0] if r.args else r.kwargs['package'])
        elif r.kind == 'FindExecutable':
            names.append(r.kwargs.get('name', r.args[0] if r.args else None))
        elif r.kind == 'PythonLaunchDescriptionSource':
            includes.append(token(r.args[0] if r.args else r.kwargs['launch_file_path']))
        if r.kind == 'DeclareLaunchArgument':
            name = r.args[0] if r.args else r.kwargs['name']
            default = r.kwargs.get('default_value', r.args[1] if len(r.args) > 1 else None)
            arguments[name] = None if default is None else token(default)
        elif r.kind == 'ExecuteProcess':
            processes.append([token(t) for t in r.kwargs['cmd']])
            condition = r.kwargs.get('condition')
            process_conditions.append(None if condition is None else {
                'kind': condition.kind, 'value': token(condition.args[0] if condition.args else condition.kwargs['predicate_expression'])})
        elif r.kind == 'LaunchConfiguration':
            configurations.append(r.args[0])
    print(json.dumps({'arguments': arguments, 'processes': processes, 'process_conditions': process_conditions,
                      'configurations': sorted(set(configurations)),
                      'actions': actions, 'environment': environment, 'nodes': nodes, 'includes': includes,
                      'packages': sorted(set(names))}))


if __name__ == '__main__':
    main(sys.argv[1], dict(a.split(':=', 1) for a in sys.argv[2:]))
