import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RoleResource, RoleUser } from './role-assignment.entity';
import { Role } from './role.entity';
import { RolesController } from './roles.controller';
import { RolesRepository } from './roles.repository';
import { RolesService } from './roles.service';

/** Roles (§12). Exports the repository: the sessions engine asks it what a user may reach, and for how long. */
@Module({
  imports: [TypeOrmModule.forFeature([Role, RoleUser, RoleResource])],
  controllers: [RolesController],
  providers: [RolesRepository, RolesService],
  exports: [RolesRepository],
})
export class RolesModule {}
