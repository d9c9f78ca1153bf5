"""Policy section of the visit process (客户拜访, 004 拜访管理办法; 002 客户参观接待管理制度)."""
