/* TEST STUB of QEMU's exec/target_page.h: see ../README. */
#ifndef QMIG_TEST_STUB_EXEC_TARGET_PAGE_H
#define QMIG_TEST_STUB_EXEC_TARGET_PAGE_H

/* 4096 in the stubs. */
size_t qemu_target_page_size(void);

#endif
