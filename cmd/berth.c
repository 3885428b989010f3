/* berth - the command-line client for berthd (Docker-compatible). */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
