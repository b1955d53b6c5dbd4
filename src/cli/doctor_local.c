/* placeholder */
#include "cli/doctor.h"
int doctor_local(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
