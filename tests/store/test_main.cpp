#include "TestMain.h"

VOP_TEST_MAIN()
