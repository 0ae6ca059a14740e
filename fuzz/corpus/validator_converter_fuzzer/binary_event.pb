

u1purchase