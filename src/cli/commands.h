#pragma once
// One CommandSpec per command file; cli.cc lists them.

#include "cli/cli.h"

namespace berth::cli {

CommandSpec runCommand();
CommandSpec createCommand();
CommandSpec startCommand();
CommandSpec stopCommand();
CommandSpec killCommand();
CommandSpec restartCommand();
CommandSpec rmCommand();
CommandSpec psCommand();
CommandSpec logsCommand();
CommandSpec waitCommand();
CommandSpec inspectCommand();
CommandSpec containerInspectCommand();
CommandSpec imageInspectCommand();
CommandSpec imagesCommand();
CommandSpec importCommand();
CommandSpec loadCommand();
CommandSpec saveCommand();
CommandSpec tagCommand();
CommandSpec rmiCommand();
CommandSpec historyCommand();
CommandSpec infoCommand();
CommandSpec versionCommand();
CommandSpec systemPruneCommand();
CommandSpec containerPruneCommand();
CommandSpec imagePruneCommand();
CommandSpec execCommand();
CommandSpec topCommand();
CommandSpec renameCommand();
CommandSpec pauseCommand();
CommandSpec unpauseCommand();
CommandSpec diffCommand();
CommandSpec exportCommand();
CommandSpec commitCommand();
CommandSpec cpCommand();
CommandSpec attachCommand();
CommandSpec portCommand();
std::vector<CommandSpec> networkCommands();

}  // namespace berth::cli
